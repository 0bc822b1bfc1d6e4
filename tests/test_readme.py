"""The README's two commands are the ones the repository really has, and CI runs the second."""

from __future__ import annotations

import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in section.strip().splitlines()]


def test_the_readme_gives_exactly_two_commands_that_exist() -> None:
    commands = readme_commands()
    assert commands == ["scripts/run.sh", "scripts/test.sh"]
    for command in commands:
        script = REPO / command
        assert script.is_file() and os.access(script, os.X_OK), command


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^exec bash scripts/test\.sh\s*$", ci, re.MULTILINE)


def test_the_run_command_starts_duban_run() -> None:
    assert "duban run" in (REPO / "scripts" / "run.sh").read_text(encoding="utf-8")
