"""Issue 12 through the real entry point: `duban run` in a subprocess, HTTP only. A notice
is published, a unit reports progress on one task; the overview counts the notice's tasks
and the report; the ledger downloaded over HTTP is a real .xlsx whose row for that task shows
the unit's figure; the circular downloads as a .docx."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from docx import Document as WordDocument
from helpers import duban_run, wait_for
from openpyxl import load_workbook

NOTICE = Path(__file__).resolve().parents[2] / "examples" / "qingchuan-2026-notice.txt"


def test_overview_ledger_and_circular_through_duban_run(tmp_path: Path) -> None:
    with duban_run(tmp_path / "var") as http:
        doc = http.post("/intake/documents/text", json={"text": NOTICE.read_text("utf-8")})
        assert doc.status_code == 201, doc.text
        doc_id = doc.json()["id"]
        assert http.post(f"/intake/documents/{doc_id}/publish").status_code == 200
        params = {"government": "default"}
        wait_for(
            lambda: http.get("/reporting/overview", params=params).json()["task_count"] == 4,
            "4 tasks",
        )

        http.put("/tasks/directory/units/县发改委", params=params, json={}).raise_for_status()
        unit = {"name": "发改委", "role": "unit", "government_id": "default", "unit": "县发改委"}
        token = http.post("/tasks/tokens", json=unit).json()["token"]
        task = f"{doc_id}-001"
        report = {"unit": "县发改委", "percent": 40, "done": "一季度地区生产总值增长6.2%"}
        headers = {"Authorization": f"Bearer {token}"}
        wait_for(
            lambda: (
                http.post(f"/tasks/tasks/{task}/progress", headers=headers, json=report).status_code
                == 201
            ),
            "the unit's report",
        )

        def reported() -> dict[str, Any] | None:
            # the units are shown from the registration on: wait for the report's figure
            shown = http.get(f"/reporting/tasks/{task}", params=params)
            units = shown.json().get("units", []) if shown.is_success else []
            return shown.json() if any(u.get("percent") == 40 for u in units) else None

        wait_for(reported, "reporting to show the report")
        ledger = http.get("/reporting/ledger.xlsx", params=params)
        assert ledger.status_code == 200 and ledger.content[:2] == b"PK"
        sheet = load_workbook(BytesIO(ledger.content)).worksheets[0]
        rows = [[str(c.value or "") for c in row] for row in sheet.iter_rows()]
        (row,) = [r for r in rows if any("地区生产总值增长6%左右" in c for c in r)]
        assert any("40" in c for c in row), row
        assert any("县发改委" in c for c in row), row
        circular = http.get("/reporting/circular.docx", params={**params, "period": "2026-H1"})
        assert circular.status_code == 200, circular.text
        text = "\n".join(p.text for p in WordDocument(BytesIO(circular.content)).paragraphs)
        assert "通报" in text
