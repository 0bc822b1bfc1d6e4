"""Acceptance 3 of the tasks issue, first half: who may do what, for every endpoint.

The table below has one row per (endpoint, caller, target) with the status the caller must
get. The design, as the code implements it:

* no token, an unknown token or a revoked one → 401, on every endpoint;
* admin: everything, in every government (directory calls name the government);
* supervisor (督查部门): everything in its own government; another government's task or
  report → 403; another government's directory or token → 404 where the row is looked up
  inside the caller's own government (existence is not revealed), 403 when the caller names
  the other government explicitly (``?government=``);
* unit: sees, and acts for, its own unit only; a task without its assignment → 403, acting
  as another unit on a task it sees → 403; no supervision actions, directory changes or tokens;
* integration (OA): like a unit, for each unit it is mapped to;
* leader: reads the tasks where he or she is a leader; acts on nothing;
* lists (tasks, rounds, units, leaders, tokens) are scoped rather than refused: the rows
  check what the caller sees.

A new endpoint without rows fails ``test_every_endpoint_is_in_the_table``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from tasks_world import GOV_A, GOV_B, World, bearer, service_routes, world

# --- how to call each endpoint -------------------------------------------------------------

Call = tuple[str, dict[str, Any]]  # url, keyword arguments for client.request


def _task(w: World, args: dict[str, Any]) -> str:
    return getattr(w, args.get("task", "task1"))


def _gov(caller: str, args: dict[str, Any]) -> dict[str, str]:
    """Directory calls: the admin must name the government; others may (``gov`` in args)."""
    gov = args.get("gov", GOV_A if caller == "admin" else None)
    return {"government": gov} if gov else {}


def _ensure_active(w: World) -> None:
    if w.task(w.task1)["status"] == "suspended":
        w.admin("POST", f"/tasks/tasks/{w.task1}/resume", json={"reason": "恢复"})


def _ensure_suspended(w: World) -> None:
    if w.task(w.task1)["status"] != "suspended":
        w.admin("POST", f"/tasks/tasks/{w.task1}/suspend", json={"reason": "暂停"})


def _ensure_completion_requested(w: World) -> None:
    _ensure_active(w)
    body = {"unit": "县住建局", "summary": "已完成"}
    w.admin("POST", f"/tasks/tasks/{w.task1}/completion-request", json=body)


def _unit_action(extra: dict[str, Any]) -> Callable[[World, str, dict[str, Any]], Call]:
    def call(w: World, _caller: str, args: dict[str, Any]) -> Call:
        url = f"/tasks/tasks/{_task(w, args)}/{args.get('action')}"
        return url, {"json": {"unit": args.get("unit", "县住建局"), **extra}}

    return call


def _list_tasks(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/tasks", {"params": args.get("params", {})}


def _get_task(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return f"/tasks/tasks/{args.get('id') or _task(w, args)}", {}


def _acknowledge(w: World, caller: str, args: dict[str, Any]) -> Call:
    return _unit_action({})(w, caller, {"action": "acknowledge", **args})


def _return(w: World, caller: str, args: dict[str, Any]) -> Call:
    return _unit_action({"reason": "非本单位职责"})(w, caller, {"action": "return", **args})


def _reassign(w: World, _caller: str, args: dict[str, Any]) -> Call:
    """Toggle task 1's cooperating unit, so that every allowed row finds one to move."""
    (current,) = [a["unit"] for a in w.task(w.task1)["assignments"] if a["role"] == "cooperating"]
    new = "县生态环境局" if current == "县环保局" else "县环保局"
    body = {"unit": current, "new_unit": new, "reason": "职责调整"}
    return f"/tasks/tasks/{_task(w, args)}/reassign", {"json": body}


def _completion_request(w: World, caller: str, args: dict[str, Any]) -> Call:
    _ensure_active(w)
    extra = {"summary": "已完成全部改造"}
    return _unit_action(extra)(w, caller, {"action": "completion-request", **args})


def _completion_decision(w: World, _caller: str, args: dict[str, Any]) -> Call:
    _ensure_completion_requested(w)
    body = {"approve": False, "comment": "尚有两个小区未完工"}
    return f"/tasks/tasks/{_task(w, args)}/completion-decision", {"json": body}


def _suspend(w: World, _caller: str, args: dict[str, Any]) -> Call:
    _ensure_active(w)
    return f"/tasks/tasks/{_task(w, args)}/suspend", {"json": {"reason": "政策调整"}}


def _resume(w: World, _caller: str, args: dict[str, Any]) -> Call:
    _ensure_suspended(w)
    return f"/tasks/tasks/{_task(w, args)}/resume", {"json": {"reason": "恢复推进"}}


def _extension(w: World, _caller: str, args: dict[str, Any]) -> Call:
    body = {
        "unit": args.get("unit", "县住建局"),
        "milestone_id": w.milestone(w.task1)["id"],
        "requested_date": "2030-12-31",
        "reason": "资金未到位",
    }
    return f"/tasks/tasks/{_task(w, args)}/extensions", {"json": body}


def _extension_decision(w: World, _caller: str, args: dict[str, Any]) -> Call:
    url, kwargs = _extension(w, "admin", {})
    request_id = w.admin("POST", url, **kwargs)["id"]
    body = {"approve": False, "comment": "不予延期"}
    return f"/tasks/tasks/{w.task1}/extensions/{request_id}/decision", {"json": body}


def _adjust(w: World, _caller: str, args: dict[str, Any]) -> Call:
    milestone = w.milestone(w.task1)["id"]
    body = {"due_date": "2022-07-15", "reason": "市里统一调整"}
    return f"/tasks/tasks/{_task(w, args)}/milestones/{milestone}/adjust", {"json": body}


def _urge(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return f"/tasks/tasks/{_task(w, args)}/urge", {"json": {"message": "请加快进度"}}


def _reminders(w: World, _caller: str, args: dict[str, Any]) -> Call:
    body = {"exempt": False, "reason": "恢复提醒"}
    return f"/tasks/tasks/{_task(w, args)}/reminders", {"json": body}


def _rounds(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/rounds", {"params": {"document_id": getattr(w, args.get("doc", "doc_a"))}}


def _draft(w: World, _caller: str, args: dict[str, Any]) -> Call:
    params = {"unit": args.get("unit", "县住建局")}
    return f"/tasks/tasks/{_task(w, args)}/progress/draft", {"params": params}


def _progress(w: World, _caller: str, args: dict[str, Any]) -> Call:
    body = {"unit": args.get("unit", "县住建局"), "percent": 10, "done": "已启动"}
    return f"/tasks/tasks/{_task(w, args)}/progress", {"json": body}


def _review(w: World, _caller: str, args: dict[str, Any]) -> Call:
    if args.get("id"):
        return f"/tasks/progress/{args['id']}/review", {"json": {"accept": True}}
    url, kwargs = _progress(w, "admin", {})
    report = w.admin("POST", url, **kwargs)["id"]
    return f"/tasks/progress/{report}/review", {"json": {"accept": True, "comment": "采纳"}}


def _units(w: World, caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/directory/units", {"params": _gov(caller, args)}


def _put_unit(w: World, caller: str, args: dict[str, Any]) -> Call:
    body = {"kind": "unit", "aliases": ["住建局"]}
    return "/tasks/directory/units/县住建局", {"json": body, "params": _gov(caller, args)}


def _delete_unit(w: World, caller: str, args: dict[str, Any]) -> Call:
    w.admin("PUT", "/tasks/directory/units/临时专班", json={}, params={"government": GOV_A})
    return "/tasks/directory/units/临时专班", {"params": _gov(caller, args)}


def _import(w: World, caller: str, args: dict[str, Any]) -> Call:
    csv = "名称,类型,别名,成员\n县财政局,单位,财政局,\n".encode()
    return "/tasks/directory/import", {"content": csv, "params": _gov(caller, args)}


def _leaders(w: World, caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/directory/leaders", {"params": _gov(caller, args)}


def _put_leader(w: World, caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/directory/leaders/王明", {
        "json": {"title": "副县长"},
        "params": _gov(caller, args),
    }


def _issue(w: World, _caller: str, args: dict[str, Any]) -> Call:
    body = {"name": "新令牌", "role": "unit", "government_id": GOV_A, "unit": "县住建局"}
    return "/tasks/tokens", {"json": body | args.get("body", {})}


def _tokens(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/tokens", {}


def _revoke(w: World, _caller: str, args: dict[str, Any]) -> Call:
    if "of" in args:
        return f"/tasks/tokens/{w.token_ids[args['of']]}", {}
    body = {"name": "待吊销", "role": "unit", "government_id": GOV_A, "unit": "县教体局"}
    return f"/tasks/tokens/{w.admin('POST', '/tasks/tokens', json=body)['id']}", {}


POLICY = {
    "before_due": [5, 3, 1],
    "overdue_every": 3,
    "report_before": 3,
    "escalate_to_leader_after": 5,
    "circular_after": 10,
}


def _policy(w: World, caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/policy", {"params": _gov(caller, args)}


def _put_policy(w: World, caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/policy", {"json": POLICY, "params": _gov(caller, args)}


def policy_of(government: str) -> Callable[[World, Any], bool]:
    return lambda _w, body: body["government_id"] == government


def _calendar_year(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/calendar/2022", {}


def _put_calendar(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/calendar", {"content": "2031-01-01,holiday,元旦\n".encode()}


def _scan(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/scan", {"params": {"date": "2022-10-11"}}


def _scan_preview(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/scan/preview", {"params": {"date": "2022-10-11"}}


PASSWORD = "Kp7r-Xm3a-Qd9w"
_logins = iter(range(1, 100_000))


def _login_page(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/login", {}


def _login(w: World, _caller: str, args: dict[str, Any]) -> Call:
    password = "Wrong#Pass-2026" if args.get("wrong") else PASSWORD
    return "/tasks/login", {"json": {"login": "acct-leader-a", "password": password}}


def _logout(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/logout", {}


def _me(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/me", {}


def _own_password(w: World, caller: str, args: dict[str, Any]) -> Call:
    if caller in w.people:  # a fresh session: the change ends every one of the account
        w.log_in(caller, "person-changer", w.__dict__.setdefault("changer_pw", PASSWORD))
        old, new = w.__dict__["changer_pw"], f"Nw5t-Hq8k-{next(_logins):04d}"
        w.__dict__["changer_pw"] = new
        return "/tasks/me/password", {"json": {"old_password": old, "new_password": new}}
    return "/tasks/me/password", {"json": {"old_password": PASSWORD, "new_password": PASSWORD}}


def _accounts(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return "/tasks/accounts", {}


def _new_account(w: World, _caller: str, args: dict[str, Any]) -> Call:
    body = {
        "login": f"new-{next(_logins)}",
        "display_name": "新账户",
        "role": "leader",
        "leader": "王明",
        "government_id": GOV_A,
    }
    return "/tasks/accounts", {"json": body | args.get("body", {})}


def _account_of(w: World, args: dict[str, Any]) -> int:
    login = args.get("of", "acct-leader-a-2")
    (found,) = [a for a in w.admin("GET", "/tasks/accounts") if a["login"] == login]
    return found["id"]


def _patch_account(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return f"/tasks/accounts/{_account_of(w, args)}", {"json": {"display_name": "改名"}}


def _reset_account(w: World, _caller: str, args: dict[str, Any]) -> Call:
    return f"/tasks/accounts/{_account_of(w, args)}/password", {"json": {}}


ENDPOINTS: dict[tuple[str, str], Callable[[World, str, dict[str, Any]], Call]] = {
    ("GET", "/tasks/tasks"): _list_tasks,
    ("GET", "/tasks/tasks/{task_id}"): _get_task,
    ("POST", "/tasks/tasks/{task_id}/acknowledge"): _acknowledge,
    ("POST", "/tasks/tasks/{task_id}/return"): _return,
    ("POST", "/tasks/tasks/{task_id}/reassign"): _reassign,
    ("POST", "/tasks/tasks/{task_id}/completion-request"): _completion_request,
    ("POST", "/tasks/tasks/{task_id}/completion-decision"): _completion_decision,
    ("POST", "/tasks/tasks/{task_id}/suspend"): _suspend,
    ("POST", "/tasks/tasks/{task_id}/resume"): _resume,
    ("POST", "/tasks/tasks/{task_id}/extensions"): _extension,
    ("POST", "/tasks/tasks/{task_id}/extensions/{request_id}/decision"): _extension_decision,
    ("POST", "/tasks/tasks/{task_id}/milestones/{milestone_id}/adjust"): _adjust,
    ("POST", "/tasks/tasks/{task_id}/urge"): _urge,
    ("PUT", "/tasks/tasks/{task_id}/reminders"): _reminders,
    ("GET", "/tasks/rounds"): _rounds,
    ("GET", "/tasks/tasks/{task_id}/progress/draft"): _draft,
    ("POST", "/tasks/tasks/{task_id}/progress"): _progress,
    ("POST", "/tasks/progress/{report_id}/review"): _review,
    ("GET", "/tasks/directory/units"): _units,
    ("PUT", "/tasks/directory/units/{name}"): _put_unit,
    ("DELETE", "/tasks/directory/units/{name}"): _delete_unit,
    ("POST", "/tasks/directory/import"): _import,
    ("GET", "/tasks/directory/leaders"): _leaders,
    ("PUT", "/tasks/directory/leaders/{name}"): _put_leader,
    ("POST", "/tasks/tokens"): _issue,
    ("GET", "/tasks/tokens"): _tokens,
    ("DELETE", "/tasks/tokens/{token_id}"): _revoke,
    ("GET", "/tasks/calendar/{year}"): _calendar_year,
    ("PUT", "/tasks/calendar"): _put_calendar,
    ("GET", "/tasks/policy"): _policy,
    ("PUT", "/tasks/policy"): _put_policy,
    ("POST", "/tasks/scan"): _scan,
    ("GET", "/tasks/scan/preview"): _scan_preview,
    ("GET", "/tasks/login"): _login_page,
    ("POST", "/tasks/login"): _login,
    ("POST", "/tasks/logout"): _logout,
    ("GET", "/tasks/me"): _me,
    ("POST", "/tasks/me/password"): _own_password,
    ("GET", "/tasks/accounts"): _accounts,
    ("POST", "/tasks/accounts"): _new_account,
    ("PATCH", "/tasks/accounts/{account_id}"): _patch_account,
    ("POST", "/tasks/accounts/{account_id}/password"): _reset_account,
}
# Open without a credential: a person logging in has none yet.
PUBLIC = {("GET", "/tasks/login"), ("POST", "/tasks/login")}

# --- what each caller must get ---------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    endpoint: tuple[str, str]
    caller: str
    expect: int
    args: dict[str, Any] = field(default_factory=dict)
    sees: Callable[[World, Any], bool] | None = None  # for scoped lists
    note: str = ""

    @property
    def id(self) -> str:
        method, path = self.endpoint
        note = f" {self.note}" if self.note else ""
        return f"{method} {path} | {self.caller}{note} -> {self.expect}"


def tasks_seen(*names: str) -> Callable[[World, Any], bool]:
    return lambda w, body: {t["id"] for t in body} == {getattr(w, n) for n in names}


def count(n: int) -> Callable[[World, Any], bool]:
    return lambda _w, body: len(body) == n


def names_include(name: str, present: bool = True) -> Callable[[World, Any], bool]:
    return lambda _w, body: (name in {u["name"] for u in body}) is present


def token_govs(*govs: str | None) -> Callable[[World, Any], bool]:
    return lambda _w, body: {t["government_id"] for t in body} == set(govs)


def named(name: str) -> Callable[[World, Any], bool]:
    return lambda _w, body: body["name"] == name


SUP_A, SUP_B, ZHUJIAN, JIAOTI, LEADER, OA = (
    "supervisor-A",
    "supervisor-B",
    "unit-zhujian",
    "unit-jiaoti",
    "leader-wangming",
    "oa-caizheng",
)
NON_BUREAU = (ZHUJIAN, JIAOTI, LEADER, OA)
# People logged in (session cookie + CSRF token): the same answers as a token of their role.
PERSON_SUP_A, PERSON_LEADER, PERSON_CHANGER = (
    "person-supervisor-A",
    "person-leader-wangming",
    "person-changer",
)


def unit_action_rows(endpoint: tuple[str, str], ok: int) -> list[Row]:
    """Endpoints where a unit acts for itself on a task (签收, 退回, 办结申请, 延期, 报送…)."""
    return [
        Row(endpoint, "admin", ok),
        Row(endpoint, SUP_A, ok, note="for the lead unit"),
        Row(endpoint, SUP_B, 403, note="on A's task"),
        Row(endpoint, ZHUJIAN, ok, note="for itself"),
        Row(endpoint, ZHUJIAN, 403, {"unit": "县财政局"}, note="as another unit"),
        Row(endpoint, JIAOTI, 403, note="on a task not its own"),
        Row(endpoint, JIAOTI, 403, {"unit": "县教体局"}, note="for itself on task 1"),
        Row(endpoint, LEADER, 403, note="leaders only read"),
        Row(endpoint, OA, ok, {"unit": "县财政局"}, note="for its mapped unit"),
        Row(endpoint, OA, 403, note="for an unmapped unit"),
    ]


def bureau_rows(endpoint: tuple[str, str], ok: int = 200, other_gov: int = 403) -> list[Row]:
    """Endpoints only the bureau (or the admin) may call."""
    return [
        Row(endpoint, "admin", ok),
        Row(endpoint, SUP_A, ok),
        Row(endpoint, SUP_B, other_gov, note="on A's data"),
        *(Row(endpoint, c, 403) for c in NON_BUREAU),
    ]


def directory_write_rows(endpoint: tuple[str, str], ok: int = 200) -> list[Row]:
    return [
        Row(endpoint, "admin", ok),
        Row(endpoint, "admin", 422, {"gov": ""}, note="without ?government"),
        Row(endpoint, SUP_A, ok),
        Row(endpoint, SUP_B, 403, {"gov": GOV_A}, note="naming government A"),
        *(Row(endpoint, c, 403) for c in NON_BUREAU),
    ]


def directory_read_rows(endpoint: tuple[str, str], entry: str) -> list[Row]:
    return [
        Row(endpoint, "admin", 200, sees=names_include(entry)),
        Row(endpoint, "admin", 422, {"gov": ""}, note="without ?government"),
        Row(endpoint, SUP_A, 200, sees=names_include(entry)),
        Row(endpoint, SUP_B, 200, sees=names_include(entry, False), note="sees only B's"),
        Row(endpoint, SUP_B, 403, {"gov": GOV_A}, note="naming government A"),
        *(Row(endpoint, c, 200, sees=names_include(entry)) for c in NON_BUREAU),
    ]


TASKS = ("GET", "/tasks/tasks")
TASK = ("GET", "/tasks/tasks/{task_id}")

MATRIX: list[Row] = [
    # lists are scoped: each caller sees exactly its own tasks (B's task has the same lead
    # unit name, 县住建局, and the same leader name, 王明, as A's task 1)
    Row(TASKS, "admin", 200, sees=tasks_seen("task1", "task2", "task_b")),
    Row(TASKS, SUP_A, 200, sees=tasks_seen("task1", "task2")),
    Row(TASKS, SUP_B, 200, sees=tasks_seen("task_b")),
    Row(TASKS, SUP_B, 200, {"params": {"government": GOV_A}}, tasks_seen(), "asking for A"),
    Row(TASKS, ZHUJIAN, 200, sees=tasks_seen("task1")),
    Row(TASKS, JIAOTI, 200, sees=tasks_seen("task2")),
    Row(TASKS, LEADER, 200, sees=tasks_seen("task1")),
    Row(TASKS, OA, 200, sees=tasks_seen("task1")),
    Row(
        TASKS,
        ZHUJIAN,
        200,
        {"params": {"unit": "县教体局"}},
        tasks_seen(),
        "filtering for another unit",
    ),
    Row(TASKS, "leader-lihua", 200, {"params": {"limit": 1}}, tasks_seen("task2"), "first page"),
    Row(
        TASKS,
        SUP_A,
        200,
        {"params": {"leader": "李华", "limit": 1}},
        tasks_seen("task2"),
        "leader filter, first page",
    ),
    # task detail
    Row(TASK, "admin", 200),
    Row(TASK, "admin", 200, {"task": "task_b"}, note="B's task"),
    Row(TASK, SUP_A, 200),
    Row(TASK, SUP_A, 404, {"id": "no-such-task"}, note="unknown task"),
    Row(TASK, SUP_B, 403, note="on A's task"),
    Row(TASK, SUP_B, 200, {"task": "task_b"}, note="own task"),
    Row(TASK, ZHUJIAN, 200),
    Row(TASK, ZHUJIAN, 403, {"task": "task2"}, note="task 2"),
    Row(TASK, ZHUJIAN, 403, {"task": "task_b"}, note="B's task of a namesake unit"),
    Row(TASK, JIAOTI, 403),
    Row(TASK, JIAOTI, 200, {"task": "task2"}, note="task 2"),
    Row(TASK, LEADER, 200),
    Row(TASK, LEADER, 403, {"task": "task2"}, note="task 2, not his"),
    Row(TASK, LEADER, 403, {"task": "task_b"}, note="B's task of a namesake leader"),
    Row(TASK, OA, 200),
    Row(TASK, "unit-B-zhujian", 403, note="B's namesake unit on A's task"),
    Row(TASK, "unit-B-zhujian", 200, {"task": "task_b"}, note="own task"),
    Row(TASKS, "unit-B-zhujian", 200, sees=tasks_seen("task_b"), note="B's namesake unit"),
    Row(
        ("POST", "/tasks/tasks/{task_id}/acknowledge"),
        "unit-B-zhujian",
        403,
        note="B's namesake unit on A's task",
    ),
    Row(
        ("POST", "/tasks/tasks/{task_id}/progress"),
        "unit-B-zhujian",
        403,
        note="B's namesake unit on A's task",
    ),
    Row(TASK, OA, 403, {"task": "task2"}, note="task 2"),
    # a unit acts for itself
    *unit_action_rows(("POST", "/tasks/tasks/{task_id}/acknowledge"), 200),
    *unit_action_rows(("POST", "/tasks/tasks/{task_id}/return"), 200),
    *unit_action_rows(("POST", "/tasks/tasks/{task_id}/completion-request"), 200),
    *unit_action_rows(("POST", "/tasks/tasks/{task_id}/extensions"), 201),
    *unit_action_rows(("GET", "/tasks/tasks/{task_id}/progress/draft"), 200),
    *unit_action_rows(("POST", "/tasks/tasks/{task_id}/progress"), 201),
    # the bureau decides
    *bureau_rows(("POST", "/tasks/tasks/{task_id}/reassign")),
    *bureau_rows(("POST", "/tasks/tasks/{task_id}/completion-decision")),
    *bureau_rows(("POST", "/tasks/tasks/{task_id}/suspend")),
    *bureau_rows(("POST", "/tasks/tasks/{task_id}/resume")),
    *bureau_rows(("POST", "/tasks/tasks/{task_id}/extensions/{request_id}/decision")),
    *bureau_rows(("POST", "/tasks/tasks/{task_id}/milestones/{milestone_id}/adjust")),
    *bureau_rows(("POST", "/tasks/tasks/{task_id}/urge")),
    *bureau_rows(("PUT", "/tasks/tasks/{task_id}/reminders")),
    *bureau_rows(("POST", "/tasks/progress/{report_id}/review")),
    Row(("POST", "/tasks/progress/{report_id}/review"), SUP_A, 404, {"id": "x"}, note="unknown"),
    # reporting rounds: scoped, like lists
    *(Row(("GET", "/tasks/rounds"), c, 200, sees=count(4)) for c in ("admin", SUP_A)),
    *(Row(("GET", "/tasks/rounds"), c, 200, sees=count(4)) for c in NON_BUREAU),
    Row(("GET", "/tasks/rounds"), SUP_B, 200, sees=count(0), note="A's document"),
    Row(("GET", "/tasks/rounds"), ZHUJIAN, 200, {"doc": "doc_b"}, count(0), "B's document"),
    # the directory: everyone reads their own government's, the bureau writes it
    *directory_read_rows(("GET", "/tasks/directory/units"), "县教体局"),  # A's only
    *directory_read_rows(("GET", "/tasks/directory/leaders"), "王明"),
    *directory_write_rows(("PUT", "/tasks/directory/units/{name}")),
    *directory_write_rows(("PUT", "/tasks/directory/leaders/{name}")),
    *directory_write_rows(("POST", "/tasks/directory/import")),
    *directory_write_rows(("DELETE", "/tasks/directory/units/{name}"), 204),
    # the reminder policy: everyone in a government reads its own, the bureau changes it
    Row(("GET", "/tasks/policy"), "admin", 200, sees=policy_of(GOV_A)),
    Row(("GET", "/tasks/policy"), "admin", 422, {"gov": ""}, note="without ?government"),
    Row(("GET", "/tasks/policy"), SUP_A, 200, sees=policy_of(GOV_A)),
    Row(("GET", "/tasks/policy"), SUP_B, 200, sees=policy_of(GOV_B), note="its own"),
    Row(("GET", "/tasks/policy"), SUP_B, 403, {"gov": GOV_A}, note="naming government A"),
    *(Row(("GET", "/tasks/policy"), c, 200, sees=policy_of(GOV_A)) for c in NON_BUREAU),
    *directory_write_rows(("PUT", "/tasks/policy")),
    Row(("DELETE", "/tasks/directory/units/{name}"), SUP_B, 404, note="A's unit, hidden"),
    # tokens: the bureau issues and revokes unit, leader and OA tokens of its government
    Row(("POST", "/tasks/tokens"), "admin", 201),
    Row(("POST", "/tasks/tokens"), SUP_A, 201, note="unit token of A"),
    Row(("POST", "/tasks/tokens"), SUP_A, 403, {"body": {"government_id": GOV_B}}, note="for B"),
    Row(("POST", "/tasks/tokens"), SUP_A, 403, {"body": {"role": "supervisor"}}, note="sup."),
    Row(("POST", "/tasks/tokens"), SUP_B, 403, note="for A"),
    *(Row(("POST", "/tasks/tokens"), c, 403) for c in NON_BUREAU),
    Row(("GET", "/tasks/tokens"), "admin", 200, sees=token_govs(GOV_A, GOV_B)),
    Row(("GET", "/tasks/tokens"), SUP_A, 200, sees=token_govs(GOV_A)),
    Row(("GET", "/tasks/tokens"), SUP_B, 200, sees=token_govs(GOV_B)),
    *(Row(("GET", "/tasks/tokens"), c, 403) for c in NON_BUREAU),
    Row(("DELETE", "/tasks/tokens/{token_id}"), "admin", 200),
    Row(("DELETE", "/tasks/tokens/{token_id}"), SUP_A, 200, note="a unit token of A"),
    Row(("DELETE", "/tasks/tokens/{token_id}"), SUP_A, 403, {"of": SUP_A}, note="a sup. token"),
    Row(("DELETE", "/tasks/tokens/{token_id}"), SUP_A, 404, {"of": SUP_B}, note="B's, hidden"),
    Row(("DELETE", "/tasks/tokens/{token_id}"), SUP_B, 404, note="A's, hidden"),
    *(Row(("DELETE", "/tasks/tokens/{token_id}"), c, 403) for c in NON_BUREAU),
    # the working-day calendar is national: everyone reads it, only the admin loads a year
    *(Row(("GET", "/tasks/calendar/{year}"), c, 200) for c in ("admin", SUP_A, SUP_B)),
    *(Row(("GET", "/tasks/calendar/{year}"), c, 200) for c in NON_BUREAU),
    Row(("PUT", "/tasks/calendar"), "admin", 200),
    *(Row(("PUT", "/tasks/calendar"), c, 403) for c in (SUP_A, SUP_B, *NON_BUREAU)),
    # the operators' scan spans every government: the administrator only
    *(
        Row((m, p), "admin", 200)
        for m, p in (("POST", "/tasks/scan"), ("GET", "/tasks/scan/preview"))
    ),
    *(
        Row((m, p), c, 403)
        for m, p in (("POST", "/tasks/scan"), ("GET", "/tasks/scan/preview"))
        for c in (SUP_A, SUP_B, *NON_BUREAU)
    ),
    # a person's session is verified like a token of the same role, government and leader
    Row(TASKS, PERSON_SUP_A, 200, sees=tasks_seen("task1", "task2"), note="session"),
    Row(TASKS, PERSON_LEADER, 200, sees=tasks_seen("task1"), note="session"),
    Row(TASK, PERSON_LEADER, 403, {"task": "task2"}, note="session, task 2, not his"),
    Row(("POST", "/tasks/tasks/{task_id}/urge"), PERSON_SUP_A, 200, note="session"),
    Row(("POST", "/tasks/tasks/{task_id}/urge"), PERSON_LEADER, 403, note="session"),
    Row(("GET", "/tasks/tokens"), PERSON_LEADER, 403, note="session"),
    # logging in is open to anyone (what is sent with it does not matter)
    *(Row(("GET", "/tasks/login"), c, 200) for c in ("admin", ZHUJIAN, PERSON_LEADER)),
    Row(("POST", "/tasks/login"), ZHUJIAN, 200, note="right password"),
    Row(("POST", "/tasks/login"), ZHUJIAN, 401, {"wrong": True}, note="wrong password"),
    # oneself: who am I, log out (a token has no session to end), change one's password
    *(Row(("GET", "/tasks/me"), c, 200, sees=named(c)) for c in (SUP_A, ZHUJIAN, OA)),
    Row(("GET", "/tasks/me"), PERSON_LEADER, 200, sees=named("王明（acct-leader-a）")),
    *(Row(("POST", "/tasks/logout"), c, 200) for c in ("admin", ZHUJIAN)),
    Row(("POST", "/tasks/me/password"), PERSON_CHANGER, 200, note="a person"),
    *(Row(("POST", "/tasks/me/password"), c, 403, note="a token") for c in ("admin", SUP_A)),
    # accounts: the bureau opens and manages unit and leader accounts of its government
    Row(("GET", "/tasks/accounts"), "admin", 200, sees=token_govs(GOV_A, GOV_B)),
    Row(("GET", "/tasks/accounts"), SUP_A, 200, sees=token_govs(GOV_A)),
    Row(("GET", "/tasks/accounts"), SUP_B, 200, sees=token_govs(GOV_B)),
    Row(("GET", "/tasks/accounts"), PERSON_SUP_A, 200, sees=token_govs(GOV_A), note="session"),
    *(Row(("GET", "/tasks/accounts"), c, 403) for c in (*NON_BUREAU, PERSON_LEADER)),
    Row(("POST", "/tasks/accounts"), "admin", 201),
    Row(("POST", "/tasks/accounts"), SUP_A, 201, note="a leader of A"),
    Row(("POST", "/tasks/accounts"), PERSON_SUP_A, 201, note="session, a leader of A"),
    Row(("POST", "/tasks/accounts"), SUP_A, 403, {"body": {"role": "supervisor"}}, note="sup."),
    Row(("POST", "/tasks/accounts"), SUP_A, 403, {"body": {"government_id": GOV_B}}, note="B"),
    Row(("POST", "/tasks/accounts"), SUP_B, 403, note="for A"),
    *(Row(("POST", "/tasks/accounts"), c, 403) for c in (*NON_BUREAU, PERSON_LEADER)),
    *(
        row
        for endpoint in (
            ("PATCH", "/tasks/accounts/{account_id}"),
            ("POST", "/tasks/accounts/{account_id}/password"),
        )
        for row in (
            Row(endpoint, "admin", 200),
            Row(endpoint, SUP_A, 200, note="a leader of A"),
            Row(endpoint, SUP_A, 403, {"of": "acct-sup-a"}, note="a supervisor of A"),
            Row(endpoint, SUP_B, 404, note="A's, hidden"),
            *(Row(endpoint, c, 403) for c in (*NON_BUREAU, PERSON_LEADER)),
        )
    ),
]

# Read by every token and scoped to the caller rather than refused (their rows check what
# each caller sees); every other endpoint has at least one refused caller in the table.
SCOPED = {("GET", "/tasks/tasks"), ("GET", "/tasks/rounds"), ("GET", "/tasks/calendar/{year}")}
# About the caller itself: whoever calls gets its own answer.
SELF = {("GET", "/tasks/me"), ("POST", "/tasks/logout")}

UNAUTHENTICATED = {
    "no token": {},
    "garbage token": bearer("dbn_not-a-token-we-issued"),
    "not a bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
    "revoked token": None,  # filled in from the world
    "forged session": {"Cookie": "duban_session=eyJzaWQiOiJ4In0.bm90LXNpZ25lZA"},
}


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("authz"), "authz", module_database_url) as built:
        built.admin("PUT", "/tasks/directory/units/县住建局", json={}, params={"government": GOV_A})
        built.admin("PUT", "/tasks/directory/leaders/王明", json={}, params={"government": GOV_A})
        built.issue("leader-lihua", role="leader", government_id=GOV_A, leader="李华")
        built.issue("unit-B-zhujian", role="unit", government_id=GOV_B, unit="县住建局")
        people = {
            "acct-sup-a": ("督查员", {"role": "supervisor"}, PERSON_SUP_A),
            "acct-leader-a": ("王明", {"role": "leader", "leader": "王明"}, PERSON_LEADER),
            "acct-leader-a-2": ("李华", {"role": "leader", "leader": "李华"}, None),
            "person-changer": ("赵丽", {"role": "leader", "leader": "赵丽"}, PERSON_CHANGER),
            "acct-sup-b": ("乙督查员", {"role": "supervisor", "government_id": GOV_B}, None),
        }
        for login, (name, body, caller) in people.items():
            body = {"login": login, "display_name": name, "government_id": GOV_A, **body}
            built.admin("POST", "/tasks/accounts", json={**body, "password": PASSWORD})
            if caller is not None:
                built.log_in(caller, login, PASSWORD)
        yield built


def test_every_endpoint_is_in_the_table(w: World) -> None:
    served = service_routes(w.client.app)
    assert served - set(ENDPOINTS) == set(), "endpoints without rows in the matrix"
    assert set(ENDPOINTS) - served == set(), "rows for endpoints that no longer exist"
    in_matrix = {row.endpoint for row in MATRIX}
    assert in_matrix == set(ENDPOINTS)
    for endpoint in ENDPOINTS:
        codes = {row.expect for row in MATRIX if row.endpoint == endpoint}
        assert any(200 <= c < 300 for c in codes), f"{endpoint}: nobody may call it?"
        if endpoint not in SCOPED | PUBLIC | SELF:
            assert codes & {403, 404}, f"{endpoint}: no refused caller in the table"


@pytest.mark.parametrize("row", MATRIX, ids=[row.id for row in MATRIX])
def test_matrix(w: World, row: Row) -> None:
    url, kwargs = ENDPOINTS[row.endpoint](w, row.caller, row.args)
    method = row.endpoint[0]
    response = w.client.request(method, url, headers=w.headers(row.caller), **kwargs)
    w.client.cookies.clear()  # a login's cookies stay with that row
    assert response.status_code == row.expect, response.text
    if row.expect in (401, 403, 404):
        assert response.json()["detail"], "a refusal says why"
    if row.sees is not None:
        assert row.sees(w, response.json()), response.text


LOCKED = sorted(set(ENDPOINTS) - PUBLIC)


@pytest.mark.parametrize("how", sorted(UNAUTHENTICATED))
@pytest.mark.parametrize("endpoint", LOCKED, ids=[" ".join(e) for e in LOCKED])
def test_unauthenticated(w: World, endpoint: tuple[str, str], how: str) -> None:
    url, kwargs = ENDPOINTS[endpoint](w, "admin", {})
    headers = UNAUTHENTICATED[how]
    if headers is None:
        headers = w.headers("revoked")
    response = w.client.request(endpoint[0], url, headers=headers, **kwargs)
    assert response.status_code == 401, response.text
    assert response.headers.get("www-authenticate") == "Bearer"


@pytest.mark.parametrize("endpoint", sorted(PUBLIC), ids=[" ".join(e) for e in sorted(PUBLIC)])
def test_logging_in_needs_no_credential(w: World, endpoint: tuple[str, str]) -> None:
    url, kwargs = ENDPOINTS[endpoint](w, "anonymous", {})
    response = w.client.request(endpoint[0], url, **kwargs)
    w.client.cookies.clear()
    assert response.status_code == 200, response.text
