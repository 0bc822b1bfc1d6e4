"""``duban parse FILE --json`` prints the output contract; a bad file gets a clerk's message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from docx import Document

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "qingchuan-2026-notice.txt"
CONTRACT = {
    "file",
    "doc_number",
    "issuer",
    "title",
    "issued_date",
    "year",
    "recipients",
    "reporting_requirements",
    "task_count",
    "tasks",
    "warnings",
    "kind",
}
TASK_FIELDS = {
    "number",
    "path",
    "text",
    "leaders",
    "lead_units",
    "responsible_units",
    "cooperating_units",
    "deadlines",
    "targets",
    "units",
}


def parse(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "duban", "parse", str(path), "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_parse_prints_the_contract_for_text_and_docx(tmp_path: Path) -> None:
    docx_path = tmp_path / "通知.docx"
    document = Document()
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    document.save(docx_path)
    results = [json.loads(parse(p).stdout) for p in (EXAMPLE, docx_path)]
    for result in results:
        assert set(result) >= CONTRACT
        assert result["task_count"] == 4 and set(result["tasks"][0]) >= TASK_FIELDS
        assert result["tasks"][1]["deadlines"][0] == {
            "phrase": "6月底前",
            "date": "2026-06-30",
            "about": result["tasks"][1]["deadlines"][0]["about"],
        }
    assert results[0]["tasks"] == results[1]["tasks"]


def test_parse_refuses_a_legacy_doc_with_advice(tmp_path: Path) -> None:
    legacy = tmp_path / "通知.doc"
    legacy.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 4096)
    result = parse(legacy)
    assert result.returncode == 2
    assert "另存为" in result.stderr
