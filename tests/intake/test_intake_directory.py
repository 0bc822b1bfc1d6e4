"""Intake checks a notice's units against the government's directory, which it follows from
the tasks service's directory.unit_changed events."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from helpers import wait_until

from duban.services import specs
from shared.config import Settings
from shared.runtime import Runtime

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "qingchuan-2026-notice.txt"
UNITS = [
    "县发改委",
    "县财政局",
    "县统计局",
    "县税务局",
    "县住建局",
    "县生态环境分局",
    "县人社局",
    "县教体局",
    "县文旅局",
]


def test_units_are_resolved_against_the_directory(
    embedded_settings: Settings, admin_headers: dict[str, str]
) -> None:
    with TestClient(Runtime(embedded_settings, specs()).create_app()) as client:
        for name in UNITS:
            aliases = ["统计局"] if name == "县统计局" else ["税务局"] if name == "县税务局" else []
            put = client.put(
                f"/tasks/directory/units/{name}",
                headers=admin_headers,
                params={"government": "default"},
                json={"aliases": aliases},
            )
            assert put.status_code == 200, put.text
        group = {"kind": "group", "members": ["城关镇人民政府", "青溪镇人民政府"]}
        client.put(
            "/tasks/directory/units/各乡镇人民政府",
            headers=admin_headers,
            params={"government": "default"},
            json=group,
        )

        def intake_knows_all() -> bool:
            with Runtime(embedded_settings, specs("intake")).services["intake"].sessions() as s:
                from services.intake.models import DirectoryUnit

                return s.query(DirectoryUnit).count() == len(UNITS) + 1

        wait_until(intake_knows_all, what="intake to follow the directory")
        doc = client.post(
            "/intake/documents/upload",
            headers=admin_headers,
            files={"file": ("通知.txt", EXAMPLE.read_bytes())},
        ).json()
    first = {u["verbatim"]: u for u in doc["tasks"][0]["units"]}
    assert first["统计局"]["name"] == "县统计局" and first["统计局"]["known"] is True
    third = {u["verbatim"]: u for u in doc["tasks"][2]["units"]}
    assert third["各乡镇人民政府"]["members"] == ["城关镇人民政府", "青溪镇人民政府"]
    unknown = [w for w in doc["warnings"] if w["code"] == "UNKNOWN_GROUP"]
    assert [w["task"] for w in unknown] == ["（三）"], "各街道办事处 is a group it lacks"
