"""The tasks service through the real entry point, as a bureau and a unit use it: `duban run`
in a subprocess, HTTP only. A notice goes in through intake; the directory arrives after it
and the task's units follow; a unit signs in with a token for a unit of the directory,
reports twice (the later, lower figure counts), names an indicator as the notice prints it;
the bureau closes the task and its colour clears."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from helpers import duban_run, wait_for

ADMIN = "e2e-admin-token-0123456789"
NOTICE = {
    "title": "甲县2022年重点工作任务分解",
    "year": 2022,
    "tasks": [
        {
            "number": "1",
            "text": "推进街道社区服务中心建设，建成服务中心12个以上。",
            "lead_units": ["各街道办事处"],
            "responsible_units": ["县民政局"],
            "deadlines": [{"phrase": "年底前", "date": "2022-12-31"}],
            "targets": [
                {"phrase": "建成服务中心12个以上", "comparator": "≥", "value": 12, "unit": "个"}
            ],
        }
    ],
}
DIRECTORY = (
    "名称,类型,别名,成员\n各街道办事处,分组,,城关街道办事处、城北街道办事处\n"
    "城关街道办事处,单位,,\n城北街道办事处,单位,,\n县民政局,单位,,\n"
).encode()


def test_the_tasks_service_through_duban_run(tmp_path: Path) -> None:
    with duban_run(tmp_path / "var", DUBAN_TASKS_ADMIN_TOKEN=ADMIN) as http:
        _walk(http, {"Authorization": f"Bearer {ADMIN}"})


def _walk(http: httpx.Client, admin: dict[str, str]) -> None:
    document = http.post("/intake/documents", json=NOTICE).json()
    assert http.post(f"/intake/documents/{document['id']}/publish").status_code == 200

    def task() -> dict[str, Any] | None:
        listed = http.get("/tasks/tasks", headers=admin, params={"government": "default"}).json()
        return http.get(f"/tasks/tasks/{listed[0]['id']}", headers=admin).json() if listed else None

    first = wait_for(task, "the task to arrive")
    assert {a["unit"] for a in first["assignments"]} == {"各街道办事处", "县民政局"}

    imported = http.post(
        "/tasks/directory/import",
        headers=admin,
        params={"government": "default"},
        content=DIRECTORY,
    )
    assert imported.status_code == 200, imported.text
    now = task()
    assert now is not None
    assert {(a["unit"], a["via_group"]) for a in now["assignments"]} == {
        ("城关街道办事处", "各街道办事处"),
        ("城北街道办事处", "各街道办事处"),
        ("县民政局", None),
    }

    refused = http.post(
        "/tasks/tokens",
        headers=admin,
        json={"name": "x", "role": "unit", "government_id": "default", "unit": "区不存在局"},
    )
    assert refused.status_code == 422 and "单位名录" in refused.json()["detail"]
    issued = http.post(
        "/tasks/tokens",
        headers=admin,
        json={"name": "城关", "role": "unit", "government_id": "default", "unit": "城关街道办事处"},
    ).json()
    unit = {"Authorization": f"Bearer {issued['token']}"}
    url = f"/tasks/tasks/{now['id']}/progress"
    for percent, actual in ((90, 6), (60, 7)):
        body = {"unit": "城关街道办事处", "percent": percent}
        body["indicator_actuals"] = {"建成服务中心12个以上": actual}
        assert http.post(url, headers=unit, json=body).status_code == 201
    reported = task()
    assert reported is not None
    assert reported["percent_done"] == 20, "(60 + 0 + 0) / 3: the latest figure, not the highest"
    assert reported["indicators"][0]["actual_value"] == 7
    assert reported["signal"] == "red"  # its deadline (2022) is long past

    base = f"/tasks/tasks/{now['id']}"
    http.post(
        f"{base}/completion-request",
        headers=admin,
        json={"unit": "县民政局", "summary": "已建成"},
    ).raise_for_status()
    http.post(
        f"{base}/completion-decision", headers=admin, json={"approve": True}
    ).raise_for_status()
    closed = task()
    assert closed is not None
    assert (closed["status"], closed["signal"]) == ("completed", "green")
