"""A task's life over HTTP: 签收, 退回 and 改派, progress (idempotent, pre-filled), review,
办结申请 and 销号, 延期申请, adjusting a deadline, 催办, 暂停/恢复, exemption from reminders;
and a redelivered task.defined that must not duplicate anything."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from tasks_world import GOV_A, NOTICE_B, World, deliver, world

from services.tasks.access.models import ApiToken
from services.tasks.lifecycle.models import Assignment, Milestone
from services.tasks.progress.models import ProgressReport
from services.tasks.registration import service as registration
from shared.contracts.intake import TaskDefinedV1
from shared.messaging.tables import OUTBOX

SUP, ZHUJIAN, OA = "supervisor-A", "unit-zhujian", "oa-caizheng"


@pytest.fixture(params=["sqlite", "postgresql"])
def w(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Every life-cycle test on SQLite and on PostgreSQL."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    with world(tmp_path_factory.mktemp("life"), "life", url) as built:
        yield built


def call(w: World, caller: str, method: str, url: str, expect: int, **kwargs: Any) -> Any:
    response = w.client.request(method, url, headers=w.headers(caller), **kwargs)
    assert response.status_code == expect, response.text
    return response.json() if response.content else None


def on_task1(w: World, caller: str, action: str, body: dict, expect: int = 200) -> Any:
    return call(w, caller, "POST", f"/tasks/tasks/{w.task1}/{action}", expect, json=body)


def assignment(task: dict, unit: str) -> dict:
    (found,) = [a for a in task["assignments"] if a["unit"] == unit]
    return found


def outbox(w: World, event_type: str) -> list[dict]:
    with w.sessions() as session:
        rows = session.execute(
            select(OUTBOX.c.payload).where(OUTBOX.c.type == event_type).order_by(OUTBOX.c.seq)
        ).all()
    return [json.loads(row.payload)["data"] for row in rows]


def test_acknowledge_sets_the_task_acknowledged(w: World) -> None:
    task = on_task1(w, ZHUJIAN, "acknowledge", {"unit": "县住建局"})
    assert task["status"] == "acknowledged"
    assert assignment(task, "县住建局")["status"] == "acknowledged"
    assert assignment(task, "县财政局")["status"] == "assigned"
    again = on_task1(w, ZHUJIAN, "acknowledge", {"unit": "县住建局"})
    assert len(again["timeline"]) == len(task["timeline"]), "签收 twice changes nothing"


def test_acknowledge_by_a_cooperating_unit_does_not_acknowledge_the_task(w: World) -> None:
    w.issue("unit-huanbao", role="unit", government_id=GOV_A, unit="县环保局")
    task = on_task1(w, "unit-huanbao", "acknowledge", {"unit": "县环保局"})
    assert assignment(task, "县环保局")["status"] == "acknowledged"
    assert task["status"] == "assigned"


def test_return_with_reason_then_the_bureau_reassigns(w: World) -> None:
    on_task1(w, ZHUJIAN, "return", {"unit": "县住建局", "reason": ""}, 422)
    task = on_task1(w, ZHUJIAN, "return", {"unit": "县住建局", "reason": "非本单位职责"})
    returned = assignment(task, "县住建局")
    assert (returned["status"], returned["note"]) == ("returned", "非本单位职责")
    body = {"unit": "县住建局", "new_unit": "县城管局", "reason": "属城管职责"}
    on_task1(w, ZHUJIAN, "reassign", body, 403)
    task = on_task1(w, SUP, "reassign", body)
    assert {(a["unit"], a["role"], a["status"]) for a in task["assignments"]} == {
        ("县城管局", "lead", "assigned"),
        ("县财政局", "responsible", "assigned"),
        ("县环保局", "cooperating", "assigned"),
    }
    call(w, ZHUJIAN, "GET", f"/tasks/tasks/{w.task1}", 403)  # no longer its task
    w.issue("unit-chengguan", role="unit", government_id=GOV_A, unit="县城管局")
    task = on_task1(w, "unit-chengguan", "acknowledge", {"unit": "县城管局"})
    assert task["status"] == "acknowledged"
    changed = outbox(w, "assignment.changed")
    assert [(e["unit"], e["status"]) for e in changed][-3:] == [
        ("县住建局", "removed"),
        ("县城管局", "assigned"),
        ("县城管局", "acknowledged"),
    ]


def test_progress_submission_is_idempotent_and_prefills_the_next(w: World) -> None:
    indicator = w.task(w.task1)["indicators"][0]["number"]  # as the notice numbers it
    body = {
        "unit": "县住建局",
        "done": "已开工12个小区",
        "next_steps": "9月底前完成20个",
        "problems": "资金缺口",
        "support_needed": "请财政局拨付配套资金",
        "percent": 40,
        "indicator_actuals": {str(indicator): 12},
        "attachments": [{"name": "进度表.xlsx", "size": 2048}],
    }
    url = f"/tasks/tasks/{w.task1}/progress"
    key = {"Idempotency-Key": "oa-batch-17"}
    first = w.client.post(url, json=body, headers=w.headers(ZHUJIAN) | key)
    assert first.status_code == 201, first.text
    retry = w.client.post(url, json=body, headers=w.headers(ZHUJIAN) | key)
    assert retry.status_code == 200, retry.text
    assert retry.json()["id"] == first.json()["id"]

    task = w.task(w.task1)
    assert [r["id"] for r in task["reports"]] == [first.json()["id"]], "one report, not two"
    assert task["status"] == "in_progress"
    assert task["percent_done"] == 20, "住建局 40%, 财政局 not reported yet (0%)"
    assert task["indicators"][0]["actual_value"] == 12
    assert [e["action"] for e in task["timeline"]].count("progress.submitted") == 1
    assert len(outbox(w, "progress.submitted")) == 1

    draft = call(w, ZHUJIAN, "GET", f"{url}/draft", 200, params={"unit": "县住建局"})
    assert draft["based_on"] == first.json()["id"]
    for field in ("done", "next_steps", "problems", "support_needed", "percent", "attachments"):
        assert draft[field] == body[field], field
    assert draft["indicator_actuals"] == {str(indicator): 12}
    empty = call(w, OA, "GET", f"{url}/draft", 200, params={"unit": "县财政局"})
    assert (empty["based_on"], empty["done"], empty["percent"]) == (None, "", 0)

    second = w.client.post(url, json=draft | {"percent": 55}, headers=w.headers(ZHUJIAN))
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]
    assert w.task(w.task1)["percent_done"] == 28  # (55 + 0) / 2, rounded half up


def test_the_same_key_from_another_caller_is_another_report(w: World) -> None:
    url = f"/tasks/tasks/{w.task1}/progress"
    key = {"Idempotency-Key": "k1"}
    mine = w.client.post(
        url, json={"unit": "县住建局", "percent": 5}, headers=w.headers(ZHUJIAN) | key
    )
    theirs = w.client.post(
        url, json={"unit": "县财政局", "percent": 5}, headers=w.headers(OA) | key
    )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_an_unknown_indicator_is_refused_and_nothing_is_stored(w: World) -> None:
    body = {"unit": "县住建局", "percent": 5, "indicator_actuals": {"99999": 1}}
    refused = call(w, ZHUJIAN, "POST", f"/tasks/tasks/{w.task1}/progress", 422, json=body)
    assert (
        "没有“99999”这项指标" in refused["detail"] and "完成改造小区30个以上" in refused["detail"]
    )
    with w.sessions() as session:
        assert session.scalars(select(ProgressReport)).all() == []


def test_review_accepts_or_returns_with_a_comment(w: World) -> None:
    def submit(percent: int) -> str:
        body = {"unit": "县住建局", "percent": percent}
        return call(w, ZHUJIAN, "POST", f"/tasks/tasks/{w.task1}/progress", 201, json=body)["id"]

    first, second = submit(10), submit(20)
    review = "/tasks/progress/{}/review"
    call(w, ZHUJIAN, "POST", review.format(first), 403, json={"accept": True})
    accepted = call(w, SUP, "POST", review.format(first), 200, json={"accept": True})
    assert accepted["status"] == "accepted"
    call(w, SUP, "POST", review.format(first), 409, json={"accept": False, "comment": "再看"})
    call(w, SUP, "POST", review.format(second), 409, json={"accept": False})
    call(w, SUP, "POST", review.format(second), 409, json={"accept": False, "comment": "  "})
    body = {"accept": False, "comment": "请补充佐证材料"}
    returned = call(w, SUP, "POST", review.format(second), 200, json=body)
    assert (returned["status"], returned["review_comment"]) == ("returned", "请补充佐证材料")
    statuses = [e["status"] for e in outbox(w, "progress.reviewed")]
    assert statuses == ["accepted", "returned"]


def test_completion_requested_by_the_lead_and_approved(w: World) -> None:
    w.issue("unit-huanbao", role="unit", government_id=GOV_A, unit="县环保局")
    body = {"unit": "县环保局", "summary": "已完成"}
    on_task1(w, "unit-huanbao", "completion-request", body, 409)  # cooperating units may not
    on_task1(w, SUP, "completion-request", body, 409)  # nor on their behalf
    task = on_task1(w, ZHUJIAN, "completion-request", {"unit": "县住建局", "summary": "全部完工"})
    assert (task["status"], task["status_reason"]) == ("completion_requested", "全部完工")
    on_task1(w, ZHUJIAN, "completion-decision", {"approve": True}, 403)
    task = on_task1(w, SUP, "completion-decision", {"approve": True, "comment": "予以销号"})
    assert task["status"] == "completed"
    assert {m["status"] for m in task["milestones"]} == {"done"}
    assert task["next_due"] is None
    on_task1(w, SUP, "completion-decision", {"approve": True}, 409)
    on_task1(w, ZHUJIAN, "completion-request", {"unit": "县住建局", "summary": "再次"}, 409)
    progress = {"unit": "县住建局", "percent": 100}
    call(w, ZHUJIAN, "POST", f"/tasks/tasks/{w.task1}/progress", 409, json=progress)
    on_task1(w, SUP, "suspend", {"reason": "x"}, 409)
    changes = [(e["previous"], e["status"]) for e in outbox(w, "task.status_changed")]
    assert changes[-2:] == [
        ("assigned", "completion_requested"),
        ("completion_requested", "completed"),
    ]


def test_refused_completion_goes_back_to_in_progress(w: World) -> None:
    on_task1(w, OA, "completion-request", {"unit": "县财政局", "summary": "完成"})  # responsible
    task = on_task1(w, SUP, "completion-decision", {"approve": False, "comment": "未达标"})
    assert (task["status"], task["status_reason"]) == ("in_progress", "未达标")
    assert {m["status"] for m in task["milestones"]} == {"open"}


def test_extension_approved_moves_the_milestone_and_announces_it(w: World) -> None:
    milestone = w.milestone(w.task1)
    assert milestone["due_date"] == "2022-06-30"
    url = f"/tasks/tasks/{w.task1}/extensions"
    early = {"unit": "县住建局", "milestone_id": milestone["id"], "reason": "资金未到位"}
    call(w, ZHUJIAN, "POST", url, 409, json=early | {"requested_date": "2022-06-01"})
    request = call(w, ZHUJIAN, "POST", url, 201, json=early | {"requested_date": "2022-08-31"})
    assert request["status"] == "pending"
    decision = f"{url}/{request['id']}/decision"
    call(w, ZHUJIAN, "POST", decision, 403, json={"approve": True})
    task = call(w, SUP, "POST", decision, 200, json={"approve": True, "comment": "同意"})
    moved = task["milestones"][0]
    assert (moved["id"], moved["due_date"], moved["original_due_date"]) == (
        milestone["id"],
        "2022-08-31",
        "2022-06-30",
    )
    assert task["extensions"][0]["status"] == "approved"
    assert task["next_due"] == "2022-08-31"
    (event,) = outbox(w, "milestone.rescheduled")
    assert (event["milestone_id"], event["due_date"], event["previous"]) == (
        milestone["id"],
        "2022-08-31",
        "2022-06-30",
    )
    assert event["task_id"] == w.task1 and event["government_id"] == GOV_A
    call(w, SUP, "POST", decision, 409, json={"approve": False})  # decided already


def test_refused_extension_leaves_the_date(w: World) -> None:
    milestone = w.milestone(w.task1)
    body = {
        "unit": "县住建局",
        "milestone_id": milestone["id"],
        "requested_date": "2022-08-31",
        "reason": "资金未到位",
    }
    url = f"/tasks/tasks/{w.task1}/extensions"
    request = call(w, ZHUJIAN, "POST", url, 201, json=body)
    task = call(w, SUP, "POST", f"{url}/{request['id']}/decision", 200, json={"approve": False})
    assert task["milestones"][0]["due_date"] == "2022-06-30"
    assert task["extensions"][0]["status"] == "refused"
    assert outbox(w, "milestone.rescheduled") == []


def test_adjusting_a_deadline_needs_a_reason(w: World) -> None:
    milestone = w.milestone(w.task1, 1)
    url = f"/tasks/tasks/{w.task1}/milestones/{milestone['id']}/adjust"
    for body in ({"due_date": "2022-11-30"}, {"due_date": "2022-11-30", "reason": ""}):
        call(w, SUP, "POST", url, 422, json=body)
    call(w, SUP, "POST", url, 422, json={"due_date": "2022-11-30", "reason": "   "})
    call(w, ZHUJIAN, "POST", url, 403, json={"due_date": "2022-11-30", "reason": "自己改"})
    task = call(w, SUP, "POST", url, 200, json={"due_date": "2022-11-30", "reason": "提前考核"})
    assert task["milestones"][1]["due_date"] == "2022-11-30"
    (entry,) = [e for e in task["timeline"] if e["action"] == "milestone.rescheduled"]
    assert entry["before"] == {"due_date": "2022-12-31"}
    assert entry["after"] == {"due_date": "2022-11-30", "reason": "提前考核"}
    assert [e["due_date"] for e in outbox(w, "milestone.rescheduled")] == ["2022-11-30"]
    other = f"/tasks/tasks/{w.task2}/milestones/{milestone['id']}/adjust"
    call(w, SUP, "POST", other, 404, json={"due_date": "2022-11-30", "reason": "错任务"})


def test_urge_announces_to_the_lead_and_responsible_units(w: World) -> None:
    task = on_task1(w, SUP, "urge", {"message": "请于本周内报送进展"})
    assert task["timeline"][-1]["action"] == "task.urged"
    on_task1(w, SUP, "urge", {"message": "请配合", "units": ["县环保局"]})
    on_task1(w, ZHUJIAN, "urge", {"message": "自己催自己"}, 403)
    on_task1(w, SUP, "urge", {"message": "请落实", "units": ["县教体局"]}, 404)  # not its task
    first, second = outbox(w, "task.urged")
    assert (first["units"], first["message"]) == (["县住建局", "县财政局"], "请于本周内报送进展")
    assert second["units"] == ["县环保局"]


def test_suspend_and_resume_return_to_where_the_task_was(w: World) -> None:
    on_task1(w, ZHUJIAN, "acknowledge", {"unit": "县住建局"})
    task = on_task1(w, SUP, "suspend", {"reason": "上级政策调整"})
    assert (task["status"], task["status_reason"]) == ("suspended", "上级政策调整")
    on_task1(w, SUP, "suspend", {"reason": "再暂停"}, 409)
    on_task1(w, SUP, "suspend", {"reason": ""}, 422)
    task = on_task1(w, SUP, "resume", {"reason": "恢复"})
    assert task["status"] == "acknowledged", "resuming does not skip ahead"
    on_task1(w, SUP, "resume", {"reason": "再恢复"}, 409)
    on_task1(w, ZHUJIAN, "completion-request", {"unit": "县住建局", "summary": "完成"})
    on_task1(w, SUP, "suspend", {"reason": "审计"})
    task = on_task1(w, SUP, "resume", {"reason": "审计结束"})
    assert task["status"] == "completion_requested", "the pending request is not lost"


def test_exemption_from_reminders(w: World) -> None:
    put = f"/tasks/tasks/{w.task1}/reminders"
    task = call(w, SUP, "PUT", put, 200, json={"exempt": True, "reason": "已列入省级督办"})
    assert task["exempt_reminders"] is True
    call(w, ZHUJIAN, "PUT", put, 403, json={"exempt": False, "reason": "x"})
    listed = call(w, SUP, "GET", "/tasks/tasks", 200)
    assert {t["id"]: t["exempt_reminders"] for t in listed} == {w.task1: True, w.task2: False}
    task = call(w, SUP, "PUT", put, 200, json={"exempt": False, "reason": "恢复提醒"})
    assert task["exempt_reminders"] is False


def test_a_redelivered_task_defined_does_not_duplicate_anything(w: World) -> None:
    on_task1(w, ZHUJIAN, "acknowledge", {"unit": "县住建局"})
    before = w.task(w.task1)
    event = TaskDefinedV1(
        task_id=w.task1, document_id=w.doc_a, government_id=GOV_A, year=2022, **_task1_fields()
    )
    for _ in range(2):
        with w.sessions.begin() as session:
            registration.define_tasks(session, [event])
    deliver(w, NOTICE_B, w.doc_b)  # the other government's notice, a second time
    after = w.task(w.task1)
    assert after["assignments"] == before["assignments"], "acknowledgement kept, none added"
    assert after["milestones"] == before["milestones"]
    assert after["indicators"] == before["indicators"]
    assert len(after["timeline"]) == len(before["timeline"])
    with w.sessions() as session:
        b_units = session.scalars(select(Assignment.unit).where(Assignment.task_id == w.task_b))
        assert list(b_units) == ["县住建局"]
        b_milestones = session.scalars(select(Milestone.id).where(Milestone.task_id == w.task_b))
        assert len(list(b_milestones)) == 1


def _task1_fields() -> dict[str, Any]:
    from tasks_world import NOTICE_A

    return dict(NOTICE_A["tasks"][0])


def test_idempotency_keys_of_namesake_tokens_do_not_mix(w: World) -> None:
    """Token names are labels, not identities: two OA systems both called "OA" (here in two
    governments) using the same key each get their own report, and neither sees the other's."""
    w.issue("OA-a", role="integration", government_id=GOV_A, units=["县住建局"])
    w.issue("OA-b", role="integration", government_id="gov-b", units=["县住建局"])
    with w.sessions.begin() as session:  # rename both to the same label
        for token_id in (w.token_ids["OA-a"], w.token_ids["OA-b"]):
            session.get(ApiToken, token_id).name = "OA"
    key = {"Idempotency-Key": "2022-06-batch"}
    body = {"unit": "县住建局", "percent": 50, "done": "甲县的进展"}
    a = w.client.post(
        f"/tasks/tasks/{w.task1}/progress", json=body, headers=w.headers("OA-a") | key
    )
    b = w.client.post(
        f"/tasks/tasks/{w.task_b}/progress",
        json=body | {"done": "乙县的进展"},
        headers=w.headers("OA-b") | key,
    )
    assert (a.status_code, b.status_code) == (201, 201), b.text
    assert b.json()["task_id"] == w.task_b and b.json()["done"] == "乙县的进展"


def test_an_idempotency_key_reused_for_another_task_is_a_conflict(w: World) -> None:
    key = {"Idempotency-Key": "k"}
    body = {"unit": "县住建局", "percent": 5}
    w.issue("oa-two-units", role="integration", government_id=GOV_A, units=["县住建局", "县教体局"])
    first = w.client.post(
        f"/tasks/tasks/{w.task1}/progress", json=body, headers=w.headers("oa-two-units") | key
    )
    assert first.status_code == 201
    other = w.client.post(
        f"/tasks/tasks/{w.task2}/progress",
        json={"unit": "县教体局", "percent": 5},
        headers=w.headers("oa-two-units") | key,
    )
    assert other.status_code == 409, other.text


def test_reassigning_to_a_unit_already_there_is_a_conflict(w: World) -> None:
    same = {"unit": "县住建局", "new_unit": "县住建局", "reason": "误操作"}
    on_task1(w, SUP, "reassign", same, 409)
    w.issue("unit-huanbao", role="unit", government_id=GOV_A, unit="县环保局")
    body = {"unit": "县环保局", "new_unit": "县财政局", "reason": "合并"}
    task = on_task1(w, SUP, "reassign", body)  # 县财政局 is responsible, not cooperating: fine
    assert ("县财政局", "cooperating") in {(a["unit"], a["role"]) for a in task["assignments"]}
    body = {"unit": "县财政局", "new_unit": "县财政局", "reason": "again"}
    on_task1(w, SUP, "reassign", body, 409)


def test_a_draft_for_a_unit_not_on_the_task_is_not_found(w: World) -> None:
    url = f"/tasks/tasks/{w.task1}/progress/draft"
    call(w, SUP, "GET", url, 404, params={"unit": "县教体局"})
