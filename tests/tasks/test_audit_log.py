"""Acceptance 3 of the tasks issue, second half: every mutating endpoint leaves an audit
record saying who did it, when, and what changed (before → after).

Task-scoped actions are checked where the bureau reads them, the task's timeline (GET
/tasks/tasks/{id}); directory, token and calendar actions in the audit table itself. A new
mutating endpoint without a case fails ``test_every_mutating_endpoint_has_a_case``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from tasks_world import GOV_A, World, service_routes, world

from services.tasks.audit import AuditEntry
from services.tasks.signals.refresh import SYSTEM as SIGNALS


@dataclass(frozen=True)
class Case:
    """What to do, as whom, and the audit actions that must follow. ``changes`` lists the
    actions that modify something that existed, so their entry must say what it was."""

    caller: str
    act: Callable[[World], tuple[str, str, dict[str, Any]]]  # method, url, request kwargs
    actions: tuple[str, ...]
    changes: tuple[str, ...] = ()
    task: str | None = "task1"  # whose timeline shows it; None: not about a task


def _on_task(suffix: str, body: dict[str, Any], method: str = "POST") -> Callable:
    return lambda w: (method, f"/tasks/tasks/{w.task1}/{suffix}", {"json": body})


def _request_completion(w: World) -> tuple[str, str, dict[str, Any]]:
    if w.task(w.task1)["status"] == "suspended":
        w.admin("POST", f"/tasks/tasks/{w.task1}/resume", json={"reason": "恢复"})
    body = {"unit": "县住建局", "summary": "已完成"}
    return "POST", f"/tasks/tasks/{w.task1}/completion-request", {"json": body}


def _decide_completion(w: World) -> tuple[str, str, dict[str, Any]]:
    method, url, kwargs = _request_completion(w)
    w.admin(method, url, **kwargs)
    body = {"approve": False, "comment": "还有两个小区未完工"}
    return "POST", f"/tasks/tasks/{w.task1}/completion-decision", {"json": body}


def _suspend(w: World) -> tuple[str, str, dict[str, Any]]:
    if w.task(w.task1)["status"] == "suspended":
        w.admin("POST", f"/tasks/tasks/{w.task1}/resume", json={"reason": "恢复"})
    return "POST", f"/tasks/tasks/{w.task1}/suspend", {"json": {"reason": "政策调整"}}


def _resume(w: World) -> tuple[str, str, dict[str, Any]]:
    if w.task(w.task1)["status"] != "suspended":
        w.admin("POST", f"/tasks/tasks/{w.task1}/suspend", json={"reason": "暂停"})
    return "POST", f"/tasks/tasks/{w.task1}/resume", {"json": {"reason": "恢复推进"}}


def _extension_body(w: World) -> dict[str, Any]:
    milestone = w.milestone(w.task1)
    return {
        "unit": "县住建局",
        "milestone_id": milestone["id"],
        "requested_date": "2030-12-31",
        "reason": "资金未到位",
    }


def _decide_extension(w: World) -> tuple[str, str, dict[str, Any]]:
    request = w.admin("POST", f"/tasks/tasks/{w.task1}/extensions", json=_extension_body(w))
    url = f"/tasks/tasks/{w.task1}/extensions/{request['id']}/decision"
    return "POST", url, {"json": {"approve": True, "comment": "同意延期"}}


def _adjust(w: World) -> tuple[str, str, dict[str, Any]]:
    url = f"/tasks/tasks/{w.task1}/milestones/{w.milestone(w.task1, 1)['id']}/adjust"
    return "POST", url, {"json": {"due_date": "2022-12-20", "reason": "提前完成"}}


def _review(w: World) -> tuple[str, str, dict[str, Any]]:
    body = {"unit": "县住建局", "percent": 30}
    report = w.admin("POST", f"/tasks/tasks/{w.task1}/progress", json=body)
    return "POST", f"/tasks/progress/{report['id']}/review", {"json": {"accept": True}}


def _reassign(w: World) -> tuple[str, str, dict[str, Any]]:
    body = {"unit": "县环保局", "new_unit": "县生态环境局", "reason": "机构改革"}
    return "POST", f"/tasks/tasks/{w.task1}/reassign", {"json": body}


def _put_unit(w: World) -> tuple[str, str, dict[str, Any]]:
    w.admin("PUT", "/tasks/directory/units/县财政局", json={}, params={"government": GOV_A})
    return "PUT", "/tasks/directory/units/县财政局", {"json": {"aliases": ["财政局"]}}


def _delete_unit(w: World) -> tuple[str, str, dict[str, Any]]:
    w.admin("PUT", "/tasks/directory/units/临时专班", json={}, params={"government": GOV_A})
    return "DELETE", "/tasks/directory/units/临时专班", {}


def _put_leader(w: World) -> tuple[str, str, dict[str, Any]]:
    w.admin("PUT", "/tasks/directory/leaders/王明", json={}, params={"government": GOV_A})
    return "PUT", "/tasks/directory/leaders/王明", {"json": {"title": "副县长"}}


def _import(_w: World) -> tuple[str, str, dict[str, Any]]:
    csv = "名称,类型,别名,成员\n县教体局,单位,教体局,\n".encode()
    return "POST", "/tasks/directory/import", {"content": csv}


def _issue(_w: World) -> tuple[str, str, dict[str, Any]]:
    body = {"name": "县教体局-李四", "role": "unit", "government_id": GOV_A, "unit": "县教体局"}
    return "POST", "/tasks/tokens", {"json": body}


def _revoke(w: World) -> tuple[str, str, dict[str, Any]]:
    body = {"name": "待吊销", "role": "unit", "government_id": GOV_A, "unit": "县教体局"}
    return "DELETE", f"/tasks/tokens/{w.admin('POST', '/tasks/tokens', json=body)['id']}", {}


def _policy(_w: World) -> tuple[str, str, dict[str, Any]]:
    body = {
        "before_due": [10, 2],
        "overdue_every": 5,
        "report_before": 2,
        "escalate_to_leader_after": 3,
        "circular_after": 8,
    }
    return "PUT", "/tasks/policy", {"json": body}


def _calendar(_w: World) -> tuple[str, str, dict[str, Any]]:
    return "PUT", "/tasks/calendar", {"content": "2031-01-01,holiday,元旦\n".encode()}


PASSWORD, PERSON, PERSON_LOGIN = "Kp7r-Xm3a-Qd9w", "审计员（auditor）", "auditor"
_numbers = iter(range(1, 100_000))


def _as_person(w: World) -> None:
    """A fresh session of the person (a logout or a password change ends the last one)."""
    w.log_in(PERSON, PERSON_LOGIN, w.__dict__.setdefault("person_pw", PASSWORD))


def _login(w: World) -> tuple[str, str, dict[str, Any]]:
    body = {"login": PERSON_LOGIN, "password": w.__dict__.setdefault("person_pw", PASSWORD)}
    return "POST", "/tasks/login", {"json": body}


def _logout(w: World) -> tuple[str, str, dict[str, Any]]:
    _as_person(w)
    return "POST", "/tasks/logout", {}


def _own_password(w: World) -> tuple[str, str, dict[str, Any]]:
    _as_person(w)
    old, new = w.__dict__["person_pw"], f"Nw5t-Hq8k-{next(_numbers):04d}"
    w.__dict__["person_pw"] = new
    return "POST", "/tasks/me/password", {"json": {"old_password": old, "new_password": new}}


def _open_account(_w: World) -> tuple[str, str, dict[str, Any]]:
    body = {"login": f"leader-{next(_numbers)}", "display_name": "李华", "role": "leader"}
    return "POST", "/tasks/accounts", {"json": {**body, "leader": "李华"}}


def _an_account(w: World) -> int:
    _, url, kwargs = _open_account(w)
    return w.admin("POST", url, json={**kwargs["json"], "government_id": GOV_A})["id"]


def _rename_account(w: World) -> tuple[str, str, dict[str, Any]]:
    return "PATCH", f"/tasks/accounts/{_an_account(w)}", {"json": {"disabled": True}}


def _reset_account(w: World) -> tuple[str, str, dict[str, Any]]:
    return "POST", f"/tasks/accounts/{_an_account(w)}/password", {"json": {}}


SUP, UNIT = "supervisor-A", "unit-zhujian"
DELETIONS = {"directory.unit_deleted"}  # before says what was deleted; there is no after
CASES: dict[tuple[str, str], Case] = {
    ("POST", "/tasks/tasks/{task_id}/acknowledge"): Case(
        UNIT,
        _on_task("acknowledge", {"unit": "县住建局"}),
        ("assignment.acknowledged",),
        ("assignment.acknowledged",),
    ),
    ("POST", "/tasks/tasks/{task_id}/return"): Case(
        "oa-caizheng",
        _on_task("return", {"unit": "县财政局", "reason": "非本单位职责"}),
        ("assignment.returned",),
        ("assignment.returned",),
    ),
    ("POST", "/tasks/tasks/{task_id}/reassign"): Case(
        SUP, _reassign, ("assignment.removed", "assignment.assigned"), ("assignment.removed",)
    ),
    ("POST", "/tasks/tasks/{task_id}/completion-request"): Case(
        UNIT, _request_completion, ("task.status",), ("task.status",)
    ),
    ("POST", "/tasks/tasks/{task_id}/completion-decision"): Case(
        SUP, _decide_completion, ("task.status",), ("task.status",)
    ),
    ("POST", "/tasks/tasks/{task_id}/suspend"): Case(
        SUP, _suspend, ("task.status",), ("task.status",)
    ),
    ("POST", "/tasks/tasks/{task_id}/resume"): Case(
        SUP, _resume, ("task.status",), ("task.status",)
    ),
    ("POST", "/tasks/tasks/{task_id}/extensions"): Case(
        UNIT,
        lambda w: ("POST", f"/tasks/tasks/{w.task1}/extensions", {"json": _extension_body(w)}),
        ("extension.requested",),
    ),
    ("POST", "/tasks/tasks/{task_id}/extensions/{request_id}/decision"): Case(
        SUP,
        _decide_extension,
        ("extension.approved", "milestone.rescheduled"),
        ("extension.approved", "milestone.rescheduled"),
    ),
    ("POST", "/tasks/tasks/{task_id}/milestones/{milestone_id}/adjust"): Case(
        SUP, _adjust, ("milestone.rescheduled",), ("milestone.rescheduled",)
    ),
    ("POST", "/tasks/tasks/{task_id}/urge"): Case(
        SUP, _on_task("urge", {"message": "请加快进度"}), ("task.urged",)
    ),
    ("PUT", "/tasks/tasks/{task_id}/reminders"): Case(
        SUP,
        _on_task("reminders", {"exempt": True, "reason": "已列入省级督办"}, "PUT"),
        ("task.reminders",),
        ("task.reminders",),
    ),
    ("POST", "/tasks/tasks/{task_id}/progress"): Case(
        UNIT,
        _on_task("progress", {"unit": "县住建局", "percent": 20, "done": "已开工12个"}),
        ("progress.submitted",),
    ),
    ("POST", "/tasks/progress/{report_id}/review"): Case(
        SUP, _review, ("progress.accepted",), ("progress.accepted",)
    ),
    ("PUT", "/tasks/directory/units/{name}"): Case(
        SUP, _put_unit, ("directory.unit",), ("directory.unit",), task=None
    ),
    ("DELETE", "/tasks/directory/units/{name}"): Case(
        SUP, _delete_unit, ("directory.unit_deleted",), ("directory.unit_deleted",), task=None
    ),
    ("POST", "/tasks/directory/import"): Case(SUP, _import, ("directory.imported",), task=None),
    ("PUT", "/tasks/directory/leaders/{name}"): Case(
        SUP, _put_leader, ("directory.leader",), ("directory.leader",), task=None
    ),
    ("POST", "/tasks/tokens"): Case(SUP, _issue, ("token.issued",), task=None),
    ("DELETE", "/tasks/tokens/{token_id}"): Case(
        SUP, _revoke, ("token.revoked",), ("token.revoked",), task=None
    ),
    ("PUT", "/tasks/calendar"): Case("admin", _calendar, ("calendar.imported",), task=None),
    ("PUT", "/tasks/policy"): Case(SUP, _policy, ("policy.updated",), task=None),
    ("POST", "/tasks/scan"): Case(
        "admin",
        lambda _w: ("POST", "/tasks/scan", {"params": {"date": "2022-10-11"}}),
        ("scan.run",),
        task=None,
    ),
    ("POST", "/tasks/login"): Case(PERSON, _login, ("account.login",), task=None),
    ("POST", "/tasks/logout"): Case(PERSON, _logout, ("account.logout",), task=None),
    ("POST", "/tasks/me/password"): Case(
        PERSON, _own_password, ("account.password_changed", "account.login"), task=None
    ),
    ("POST", "/tasks/accounts"): Case(SUP, _open_account, ("account.created",), task=None),
    ("PATCH", "/tasks/accounts/{account_id}"): Case(
        SUP, _rename_account, ("account.updated",), ("account.updated",), task=None
    ),
    ("POST", "/tasks/accounts/{account_id}/password"): Case(
        SUP,
        _reset_account,
        ("account.password_reset",),
        ("account.password_reset",),
        task=None,
    ),
}


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("audit"), "audit", module_database_url) as built:
        body = {"login": PERSON_LOGIN, "display_name": "审计员", "role": "supervisor"}
        body |= {"government_id": GOV_A, "password": PASSWORD}
        built.admin("POST", "/tasks/accounts", json=body)
        yield built


def test_every_mutating_endpoint_has_a_case(w: World) -> None:
    assert service_routes(w.client.app, mutating_only=True) == set(CASES)


def _last_id(w: World) -> int:
    with w.sessions() as session:
        return session.scalar(select(func.max(AuditEntry.id))) or 0


@pytest.mark.parametrize("endpoint", sorted(CASES), ids=[" ".join(e) for e in sorted(CASES)])
def test_mutation_leaves_an_audit_record(w: World, endpoint: tuple[str, str]) -> None:
    case = CASES[endpoint]
    method, url, kwargs = case.act(w)
    assert method == endpoint[0]
    since, started = _last_id(w), datetime.now(UTC) - timedelta(seconds=1)
    headers = w.headers(case.caller) if case.caller in w.people or case.caller != PERSON else {}
    response = w.client.request(method, url, headers=headers, **kwargs)
    w.client.cookies.clear()
    assert response.status_code < 300, response.text

    with w.sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.id > since).order_by(AuditEntry.id)
        ).all()
    by_action = {e.action: e for e in entries}
    assert set(case.actions) <= set(by_action), [e.action for e in entries]
    for entry in entries:
        # a new colour that follows from the change is the system's judgement, not the caller's
        assert entry.actor == (SIGNALS if entry.action == "task.signal" else case.caller), "who"
        at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
        assert started <= at <= datetime.now(UTC), "when"
        if entry.action not in DELETIONS:
            assert entry.after is not None, f"{entry.action}: what it became"
        if entry.action in case.changes:
            assert entry.before is not None, f"{entry.action}: what it was"
            assert entry.before != entry.after
        assert "token" not in (entry.after or {}), "a plain token never reaches the log"

    if case.task is not None:
        task_id = getattr(w, case.task)
        assert {e.task_id for e in entries} == {task_id}
        timeline = w.task(task_id)["timeline"]
        shown = {(t["action"], t["actor"], t["entity_id"]) for t in timeline}
        for entry in entries:
            assert (entry.action, entry.actor, entry.entity_id) in shown, entry.action


def test_the_log_is_in_order_and_complete_for_a_task(w: World) -> None:
    """After everything above, task 1's timeline starts with its definition and is sorted."""
    timeline = w.task(w.task1)["timeline"]
    assert timeline[0]["action"] == "task.defined"
    assert [t["at"] for t in timeline] == sorted(t["at"] for t in timeline)
