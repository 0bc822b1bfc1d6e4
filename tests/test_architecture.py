"""The package's import rules hold: the services never import each other, the notice parser
touches no messaging, database or web, and ``shared`` knows no service (the contracts are in
pyproject.toml, ``[tool.importlinter]``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The console script of the interpreter running the tests, not whatever is first on PATH.
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_import_contracts_are_kept() -> None:
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],  # no cache folder in the repository
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        print(result.stdout, result.stderr, sep="\n")
    assert result.returncode == 0, f"lint-imports failed:\n{result.stdout}\n{result.stderr}"
