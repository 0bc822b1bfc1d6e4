"""The dashboard's pages in-process (no browser): a browser without a session is sent to the
login page and back, a program gets the API's 401; the figures follow the filters and the
caller's scope; without the chart library the page keeps its tables and says so; the asset
route serves only the files it knows."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tasks"))
from tasks_world import GOV_A, World, world

SERVICES = ("intake", "tasks", "reporting")
HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("pages"), "pages", None, services=SERVICES) as built:
        wait_until(
            lambda: (
                built.admin("GET", "/reporting/overview", params={"government": GOV_A})[
                    "task_count"
                ]
                == 2
            ),
            30,
            "reporting",
        )
        built.issue("leader-A", role="leader", government_id=GOV_A, leader="王明")
        yield built


def kpi(html: str, name: str) -> str:
    return html.split(f'id="kpi-{name}">', 1)[1].split("<", 1)[0]


def test_a_browser_without_a_session_is_sent_to_log_in(w: World) -> None:
    page = w.client.get("/reporting/dashboard?leader=王明", headers=HTML, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == (
        "/tasks/login?next=%2Freporting%2Fdashboard%3Fleader%3D%25E7%258E%258B%25E6%2598%258E"
    )
    assert w.client.get("/reporting/dashboard").status_code == 401, "a program: the API's 401"


def test_the_filters_change_the_figures(w: World) -> None:
    params = {"government": GOV_A}
    page = w.client.get("/reporting/dashboard", params=params, headers=w.headers("admin"))
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert kpi(page.text, "tasks") == "2"
    one = w.client.get(
        "/reporting/dashboard", params={**params, "leader": "王明"}, headers=w.headers("admin")
    )
    assert kpi(one.text, "tasks") == "1"


def test_a_page_is_scoped_like_its_api(w: World) -> None:
    page = w.client.get("/reporting/dashboard", headers=w.headers("leader-A"))
    assert page.status_code == 200 and kpi(page.text, "tasks") == "2"
    assert 'id="nav-intake"' not in page.text, "the intake page is the bureau's"
    intake = w.client.get("/reporting/dashboard/intake", headers=w.headers("leader-A"))
    assert intake.status_code == 403
    refused = w.client.get("/reporting/dashboard?government=gov-b", headers=w.headers("leader-A"))
    assert refused.status_code == 403


def test_without_the_chart_library_the_tables_remain(
    w: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUBAN_WEB_ASSETS_DIR", str(tmp_path))
    page = w.client.get("/reporting/dashboard", headers=w.headers("supervisor-A"))
    assert 'id="charts-unavailable"' in page.text and 'id="ranking"' in page.text
    assert "echarts.min.js" not in page.text


def test_the_asset_route_serves_only_known_files(w: World) -> None:
    admin = w.headers("admin")
    assert w.client.get("/reporting/dashboard/assets/charts.js", headers=admin).status_code == 200
    for name in ("..%2Fpages.py", "pages.py", ".env.js", "nope.js"):
        response = w.client.get(f"/reporting/dashboard/assets/{name}", headers=admin)
        assert response.status_code == 404, name
    assert w.client.get("/reporting/dashboard/assets/charts.js").status_code == 401
