"""The defects found using the tasks service as a bureau and as a unit would, each through
the API (intake publishes, the tasks API answers), on SQLite and PostgreSQL. Each of these
failed on the main branch before the fix (see the issue's note for what it answered)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import wait_until
from sqlalchemy import select
from tasks_world import GOV_A, World, publish, world

from services.tasks.clock import beijing_today
from shared.messaging.tables import OUTBOX

SUP, ZHUJIAN, OA = "supervisor-A", "unit-zhujian", "oa-caizheng"


@pytest.fixture
def w(tmp_path: Path, database_url: str | None) -> Iterator[World]:
    with world(tmp_path, "defects", database_url) as built:
        yield built


def call(w: World, caller: str, method: str, url: str, expect: int, **kwargs: Any) -> Any:
    response = w.client.request(method, url, headers=w.headers(caller), **kwargs)
    assert response.status_code == expect, response.text
    return response.json() if response.content else None


def events(w: World, event_type: str) -> list[dict[str, Any]]:
    with w.sessions() as session:
        rows = session.scalars(
            select(OUTBOX.c.payload).where(OUTBOX.c.type == event_type).order_by(OUTBOX.c.seq)
        )
        return [json.loads(payload)["data"] for payload in rows]


def published(w: World, notice: dict[str, Any], words: str) -> list[str]:
    """Publish through intake and wait for the tasks service to register the tasks."""
    publish(w.client, notice)

    def found() -> list[str]:
        listed = call(w, SUP, "GET", "/tasks/tasks", 200, params={"q": words})
        return [t["id"] for t in listed]

    wait_until(lambda: bool(found()), 20, f"tasks with “{words}”")
    return found()


def report(w: World, caller: str, unit: str, percent: int, **more: Any) -> dict[str, Any]:
    body = {"unit": unit, "percent": percent, **more}
    return call(w, caller, "POST", f"/tasks/tasks/{w.task1}/progress", 201, json=body)


def test_a_completed_task_has_no_warning_colour(w: World) -> None:
    """Task 1's deadlines (2022) are long past: red. 销号 must clear the colour; it stayed."""
    assert w.task(w.task1)["signal"] == "red"
    url = f"/tasks/tasks/{w.task1}"
    call(
        w,
        ZHUJIAN,
        "POST",
        f"{url}/completion-request",
        200,
        json={"unit": "县住建局", "summary": "已完成"},
    )
    done = call(w, SUP, "POST", f"{url}/completion-decision", 200, json={"approve": True})
    assert (done["status"], done["signal"]) == ("completed", "green")
    assert done["signal_reason"] == "任务已办结，不计红黄灯"
    announced = [e for e in events(w, "task.signal_changed") if e["task_id"] == w.task1]
    assert announced[-1]["signal"] == "green" and announced[-1]["previous"] == "red"
    listed = call(w, SUP, "GET", "/tasks/tasks", 200, params={"signal": "red"})
    assert w.task1 not in {t["id"] for t in listed}


def test_a_task_s_figure_follows_each_unit_s_latest_report(w: World) -> None:
    """A later 60 % after 70 % left the task at 70 (the highest ever). Now each unit's latest
    figure is kept, and the task's is their mean (lead and responsible units)."""
    report(w, ZHUJIAN, "县住建局", 70)
    report(w, ZHUJIAN, "县住建局", 60)
    task = w.task(w.task1)
    assert task["percent_done"] == 30, "(60 + 0) / 2: 县财政局 has not reported"
    units = {a["unit"]: a["percent"] for a in task["assignments"]}
    assert units["县住建局"] == 60 and units["县财政局"] == 0
    assert "平均值" in task["percent_rule"]
    report(w, OA, "县财政局", 80)
    assert w.task(w.task1)["percent_done"] == 70
    assert [e["task_percent"] for e in events(w, "progress.submitted")] == [35, 30, 70]


def test_indicator_actuals_are_named_as_the_notice_prints_them(w: World) -> None:
    """Actuals had to be sent by internal id ({"32": 14}); an OA system cannot know those."""
    by_words = report(w, ZHUJIAN, "县住建局", 20, indicator_actuals={"完成改造小区30个以上": 14})
    assert by_words["indicator_actuals"] == {"1": 14}
    assert w.task(w.task1)["indicators"][0]["actual_value"] == 14
    by_number = report(w, ZHUJIAN, "县住建局", 25, indicator_actuals={"1": 16})
    assert by_number["indicator_actuals"] == {"1": 16}
    indicator = w.task(w.task1)["indicators"][0]
    assert (indicator["number"], indicator["actual_value"]) == (1, 16)


STREETS = {
    "title": "甲县2022年补充任务",
    "government_id": GOV_A,
    "year": 2022,
    "tasks": [
        {
            "number": "1",
            "text": "推进街道社区服务中心建设。",
            "lead_units": ["各街道办事处"],
            "responsible_units": ["县自然资源与规划局", "县财政局"],
            "deadlines": [{"phrase": "年底前", "date": "2022-12-31"}],
        },
        {
            "number": "2",
            "text": "推进街道老年食堂建设。",
            "lead_units": ["各街道办事处"],
            "deadlines": [{"phrase": "年底前", "date": "2022-12-31"}],
        },
    ],
}


def test_a_directory_change_resolves_the_open_tasks_again(w: World) -> None:
    """A directory imported after a notice was published changed nothing: 各街道办事处 stayed
    a "unit" nobody could sign for, and an alias stayed a unit of its own."""
    (task_id,) = published(w, STREETS, "街道社区服务中心")
    before = {a["unit"] for a in w.task(task_id)["assignments"]}
    assert before == {"各街道办事处", "县自然资源与规划局", "县财政局"}

    directory = (
        "名称,类型,别名,成员\n"
        "各街道办事处,分组,,城关街道办事处、工业区街道办事处\n"
        "城关街道办事处,单位,,\n工业区街道办事处,单位,,\n"
        "县自然资源和规划局,单位,县自然资源与规划局,\n"
    ).encode()
    imported = call(
        w,
        SUP,
        "POST",
        "/tasks/directory/import",
        200,
        content=directory,
        params={"government": GOV_A},
    )

    task = w.task(task_id)
    assert {(a["unit"], a["role"], a["via_group"]) for a in task["assignments"]} == {
        ("城关街道办事处", "lead", "各街道办事处"),
        ("工业区街道办事处", "lead", "各街道办事处"),
        ("县自然资源和规划局", "responsible", None),
        ("县财政局", "responsible", None),
    }
    resolved = [e for e in task["timeline"] if e["action"] == "task.units_resolved"]
    assert resolved and "城关街道办事处" in resolved[-1]["after"]["units"]
    changes = {
        (e["unit"], e["status"]) for e in events(w, "assignment.changed") if e["task_id"] == task_id
    }
    assert {("各街道办事处", "removed"), ("城关街道办事处", "assigned")} <= changes
    registered = [e for e in events(w, "task.registered") if e["task_id"] == task_id]
    assert "城关街道办事处" in registered[-1]["units"]

    assert imported["tasks_updated"] >= 2
    w.issue("unit-chengguan", role="unit", government_id=GOV_A, unit="城关街道办事处")
    mine = call(w, "unit-chengguan", "GET", "/tasks/tasks", 200)
    assert task_id in {t["id"] for t in mine}, "the street office now sees and signs its task"


def test_a_closed_task_keeps_its_units_when_the_directory_changes(w: World) -> None:
    url = f"/tasks/tasks/{w.task2}"
    call(
        w,
        "unit-jiaoti",
        "POST",
        f"{url}/completion-request",
        200,
        json={"unit": "县教体局", "summary": "完成"},
    )
    call(w, SUP, "POST", f"{url}/completion-decision", 200, json={"approve": True})
    w.admin(
        "PUT",
        f"/tasks/directory/units/县教育和体育局?government={GOV_A}",
        json={"aliases": ["县教体局"]},
    )
    assert {a["unit"] for a in w.task(w.task2)["assignments"]} == {"县教体局"}
    w.admin(
        "PUT",
        f"/tasks/directory/units/县住建局?government={GOV_A}",
        json={"aliases": ["县住房和城乡建设局"]},
    )
    assert "县住建局" in {a["unit"] for a in w.task(w.task1)["assignments"]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"role": "unit", "unit": "区不存在局"}, "“区不存在局”不在本政府的单位名录中"),
        ({"role": "integration", "units": ["县住建局", "区不存在局"]}, "“区不存在局”不在"),
        ({"role": "unit", "unit": "各街道办事处"}, "是分组，不是单位"),
    ],
)
def test_a_token_is_only_issued_for_a_unit_in_the_directory(
    w: World, body: dict[str, Any], message: str
) -> None:
    """A token could be issued for a unit the directory does not know (区不存在局)."""
    w.admin(
        "PUT",
        f"/tasks/directory/units/各街道办事处?government={GOV_A}",
        json={"kind": "group", "members": ["城关街道办事处"]},
    )
    refused = call(
        w, SUP, "POST", "/tasks/tokens", 422, json={"name": "x", "government_id": GOV_A, **body}
    )
    assert message in refused["detail"]


def test_a_token_names_the_unit_as_the_directory_does(w: World) -> None:
    w.admin(
        "PUT",
        f"/tasks/directory/units/县住建局?government={GOV_A}",
        json={"aliases": ["县住房和城乡建设局"]},
    )
    issued = call(
        w,
        SUP,
        "POST",
        "/tasks/tokens",
        201,
        json={"name": "住建", "role": "unit", "government_id": GOV_A, "unit": "县住房和城乡建设局"},
    )
    assert issued["unit"] == "县住建局"


def test_a_task_published_late_in_the_year_is_not_red_on_its_first_day(w: World) -> None:
    """Published on 2026-11-10 and due 2026-12-03, a task was red on its first day
    ("落后序时进度92个百分点"): 序时进度 ran from 1 January. Now it runs from the task's start,
    and a reporting round that closed before the task existed is not owed."""
    today = beijing_today()
    due = today + timedelta(days=20)
    late = {
        "title": f"甲县{today.year}年新增重点工作",
        "government_id": GOV_A,
        "year": today.year,
        "tasks": [
            {
                "number": "1",
                "text": "年内新增的一项重点工作。",
                "lead_units": ["县住建局"],
                "deadlines": [{"phrase": f"{due.month}月{due.day}日前", "date": due.isoformat()}],
            }
        ],
    }
    (task_id,) = published(w, late, "年内新增")
    detail = w.task(task_id)
    assert (detail["signal"], detail["signal_reason"]) == ("green", "按计划推进")
    assert detail["started_on"] == today.isoformat()
