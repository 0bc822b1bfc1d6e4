"""Loading a new year's holidays, by command and by API; until then the year warns."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from duban.services import specs
from services.tasks.calendar.store import load_calendar
from shared.config import Settings
from shared.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]
CSV_2027 = "date,kind,note\n2027-01-01,休,元旦\n2027-02-06,班,春节调休\n2027-02-08,休,春节\n"


def command_env(settings: Settings) -> dict[str, str]:
    """The environment of a ``duban`` command run against that deployment."""
    database = {"DUBAN_DATABASE_URL": settings.database_url} if settings.database_url else {}
    return {**os.environ, "DUBAN_DATA_DIR": str(settings.data_dir), **database}


def test_the_command_loads_a_year_from_csv(tmp_path: Path, tasks_settings: Settings) -> None:
    data = tmp_path / "2027.csv"
    data.write_text(CSV_2027, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "duban", "holidays", "load", str(data)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=command_env(tasks_settings),
    )
    assert result.returncode == 0, result.stderr
    assert "2027年节假日安排已导入：3 天" in result.stdout
    tasks = Runtime(tasks_settings, specs("tasks")).services["tasks"]
    with tasks.sessions() as session:
        calendar = load_calendar(session)
    assert calendar.year_status(2027) == "admin"
    assert not calendar.is_workday(date(2027, 2, 8)) and calendar.is_workday(date(2027, 2, 6))


def test_a_bad_file_is_refused_with_the_line(tmp_path: Path, tasks_settings: Settings) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("date,kind,note\n2027-13-01,休,x\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "duban", "holidays", "load", str(data)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env=command_env(tasks_settings),
    )
    assert result.returncode == 2 and "行" in result.stderr


def test_the_api_shows_the_warning_then_imports(
    tasks_settings: Settings, admin_headers: dict[str, str]
) -> None:
    with TestClient(Runtime(tasks_settings, specs("tasks")).create_app()) as client:
        before = client.get("/calendar/2027", headers=admin_headers).json()
        assert before["status"] == "unknown" and "2027年" in before["warnings"][0]
        assert client.get("/calendar/2022", headers=admin_headers).json()["status"] == "library"
        put = client.put("/calendar", content=CSV_2027.encode(), headers=admin_headers)
        assert put.json() == {"year": 2027, "days": 3}, put.text
        after = client.get("/calendar/2027", headers=admin_headers).json()
        assert after["status"] == "admin" and after["warnings"] == []
        assert "2027-02-08" in after["holidays"] and "2027-02-06" in after["workdays_on_weekends"]
