"""OA 统一待办: 泛微 e-cology 9, 致远 A8/V5 third-party pending, and duban's signed webhook.

The field names come from integrations.md §3.1 ([S44][S45] for 泛微 E9, [S46] for 致远). The
E9 done/over/delete calls and both vendors' exact answer bodies are not spelt out there: the
shapes here follow the same documents' conventions and are marked "unverified" in
docs/simulators.md until a customer's interface document confirms them.

Each to-do is kept per (system, id, receiver) with its state: open → done (or deleted).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from simulators.common import hang, json_body, ok_json, server_error, sim, timeout_before
from simulators.signatures import constant_time_equal, webhook_signature
from simulators.state import Fault, SimulatorState, Todo

router = APIRouter()

WEAVER_REQUIRED = (
    "syscode",
    "flowid",
    "requestname",
    "workflowname",
    "nodename",
    "receiver",
    "isremark",
    "viewtype",
    "creator",
    "createdatetime",
    "receivedatetime",
)
# isremark: 0 待办, 2 已办, 4 办结, 8 抄送/待阅
WEAVER_STATE = {"0": "open", "8": "open", "2": "done", "4": "done"}


async def _fault(
    state: SimulatorState, target: str, recipients: list[str]
) -> tuple[Fault | None, Response | None]:
    """The armed fault for this OA call and, when it answers by itself, that answer."""
    fault = state.take_fault(target, recipients)
    if fault is None:
        return None, None
    if fault.mode == "timeout_before":
        return fault, await timeout_before(state, fault)
    if fault.mode in ("busy", "server_error"):
        state.count_failure(target, fault.mode)
        return fault, server_error() if fault.mode == "server_error" else ok_json(
            {"message": "系统繁忙，请稍后再试"}, status=503
        )
    return fault, None


async def _after(state: SimulatorState, fault: Fault | None) -> None:
    if fault and fault.mode == "timeout_after":
        state.count_failure(fault.target, fault.mode)
        await hang(fault)


def _upsert(
    state: SimulatorState,
    system: str,
    key: str,
    receiver: str,
    *,
    title: str,
    todo_state: str,
    url: str | None,
    raw: dict[str, Any],
    ts: int | None = None,
) -> tuple[Todo, bool]:
    """Create or update one receiver's to-do; False when an older ``ts`` lost to a newer."""
    with state.lock:
        now = state.clock.now()
        todo = state.todos.get((system, key, receiver))
        if todo is None:
            todo = Todo(system, key, receiver, title, todo_state, url, now, now, raw=raw)
            todo.history.append(todo_state)
            todo.last_ts = ts
            state.todos[(system, key, receiver)] = todo
            state.record(system, receiver, f"待办：{title}", "delivered", provider_id=key, body=raw)
            return todo, True
        if ts is not None and todo.last_ts is not None and ts < todo.last_ts:
            return todo, False
        todo.title, todo.url, todo.raw, todo.updated_at = (
            title or todo.title,
            url or todo.url,
            raw,
            now,
        )
        if todo.state != todo_state:
            todo.state = todo_state
            todo.history.append(todo_state)
        todo.last_ts = ts if ts is not None else todo.last_ts
        return todo, True


def _set_state(state: SimulatorState, system: str, key: str, receiver: str | None, new: str) -> int:
    """Move the matching to-dos (every receiver's when ``receiver`` is None) to ``new``."""
    with state.lock:
        hit = 0
        for (sys_, k, r), todo in state.todos.items():
            if sys_ == system and k == key and (receiver is None or r == receiver):
                if todo.state != new:
                    todo.state = new
                    todo.history.append(new)
                todo.updated_at = state.clock.now()
                hit += 1
        return hit


# --- 泛微 e-cology 9 统一待办 ------------------------------------------------------------------


def _weaver_answer(syscode: str, oper: str, ok: bool, message: str) -> Response:
    return ok_json(
        {
            "syscode": syscode,
            "dataType": "IsUse",
            "operType": oper,
            "operResult": "1" if ok else "0",
            "message": message,
        }
    )


@router.post("/weaver/rest/ofs/ReceiveRequestInfoByJson")
async def weaver_receive(request: Request) -> Response:
    config, state = sim(request)
    _raw, body = await json_body(request)
    if not isinstance(body, dict):
        return _weaver_answer("", "AutoNew", False, "请求数据不是JSON对象")
    syscode = str(body.get("syscode", ""))
    fault, answer = await _fault(state, "weaver", [str(body.get("receiver", ""))])
    if answer is not None:
        return answer
    missing = [f for f in WEAVER_REQUIRED if str(body.get(f, "")).strip() == ""]
    if missing:
        state.count("weaver", "rejected")
        return _weaver_answer(syscode, "AutoNew", False, f"必填参数【{missing[0]}】为空")
    if syscode not in config.weaver_syscodes:
        state.count("weaver", "rejected")
        return _weaver_answer(syscode, "AutoNew", False, f"异构系统标识【{syscode}】未注册")
    todo_state = WEAVER_STATE.get(str(body["isremark"]))
    if todo_state is None:
        state.count("weaver", "rejected")
        return _weaver_answer(syscode, "AutoNew", False, "isremark 只能是 0、2、4、8")
    try:
        ts = int(body["receivets"]) if body.get("receivets") not in (None, "") else None
    except (TypeError, ValueError):
        ts = None
    with state.lock:
        existed = ("weaver", str(body["flowid"]), str(body["receiver"])) in state.todos
        _todo, applied = _upsert(
            state,
            "weaver",
            str(body["flowid"]),
            str(body["receiver"]),
            title=str(body["requestname"]),
            todo_state=todo_state,
            url=str(body.get("pcurl") or body.get("appurl") or "") or None,
            raw=body,
            ts=ts,
        )
        state.count("weaver", "accepted")
    await _after(state, fault)
    oper = "AutoEdit" if existed else "AutoNew"
    return _weaver_answer(
        syscode, oper, True, "成功" if applied else "receivets 早于已有数据，已忽略"
    )


async def _weaver_state_call(request: Request, new: str, by_user: bool, oper: str) -> Response:
    config, state = sim(request)
    _raw, body = await json_body(request)
    if not isinstance(body, dict):
        return _weaver_answer("", oper, False, "请求数据不是JSON对象")
    syscode = str(body.get("syscode", ""))
    receiver = str(body.get("receiver") or body.get("userid") or "") or None
    fault, answer = await _fault(state, "weaver", [receiver or ""])
    if answer is not None:
        return answer
    if syscode not in config.weaver_syscodes:
        state.count("weaver", "rejected")
        return _weaver_answer(syscode, oper, False, f"异构系统标识【{syscode}】未注册")
    if not body.get("flowid") or (by_user and not receiver):
        state.count("weaver", "rejected")
        return _weaver_answer(syscode, oper, False, "必填参数【flowid/receiver】为空")
    hit = _set_state(state, "weaver", str(body["flowid"]), receiver if by_user else None, new)
    state.count("weaver", "accepted")
    await _after(state, fault)
    return _weaver_answer(syscode, oper, hit > 0, "成功" if hit else "待办不存在")


@router.post("/weaver/rest/ofs/ProcessDoneRequestByJson")
async def weaver_done(request: Request) -> Response:
    """已办 for one receiver (isremark 2)."""
    return await _weaver_state_call(request, "done", True, "AutoEdit")


@router.post("/weaver/rest/ofs/ProcessOverRequestByJson")
async def weaver_over(request: Request) -> Response:
    """办结 for the whole flow (isremark 4)."""
    return await _weaver_state_call(request, "done", False, "AutoEdit")


@router.post("/weaver/rest/ofs/deleteUserRequestInfoByJson")
async def weaver_delete_user(request: Request) -> Response:
    return await _weaver_state_call(request, "deleted", True, "AutoDel")


@router.post("/weaver/rest/ofs/deleteRequestInfoByJson")
async def weaver_delete(request: Request) -> Response:
    return await _weaver_state_call(request, "deleted", False, "AutoDel")


# --- 致远 A8/V5 第三方待办 ---------------------------------------------------------------------


@router.get("/seeyon/seeyon/rest/token/{username}/{password}")
async def seeyon_token(request: Request, username: str, password: str) -> Response:
    """A REST user's token, sent back afterwards in a ``token`` header or query parameter."""
    config, state = sim(request)
    if config.seeyon_users.get(username) != password:
        return ok_json({"code": 401, "message": "用户名或密码错误"}, status=401)
    token = secrets.token_hex(16)
    with state.lock:
        state.seeyon_tokens[token] = username
    return ok_json({"id": token, "bindingUser": {"loginName": username}})


def _seeyon_user(request: Request, state: SimulatorState) -> str | None:
    token = request.headers.get("token") or request.query_params.get("token") or ""
    with state.lock:
        return state.seeyon_tokens.get(token)


def _seeyon_answer(ok: bool, message: str = "", **extra: Any) -> Response:
    return ok_json({"success": ok, "errorMsgs": [] if ok else [message], **extra})


@router.post("/seeyon/seeyon/rest/thirdpartyPending/receive")
async def seeyon_receive(request: Request) -> Response:
    config, state = sim(request)
    _raw, body = await json_body(request)
    receiver = str(
        (body or {}).get("thirdReceiverId") or (body or {}).get("noneBindingReceiver") or ""
    )
    if _seeyon_user(request, state) is None:
        state.count("seeyon", "rejected")
        return ok_json({"code": 401, "message": "token无效或已过期"}, status=401)
    fault, answer = await _fault(state, "seeyon", [receiver])
    if answer is not None:
        return answer
    if fault and fault.mode == "token_invalid":
        state.count_failure("seeyon", fault.mode)
        with state.lock:
            state.seeyon_tokens.clear()
        return ok_json({"code": 401, "message": "token无效或已过期"}, status=401)
    if not isinstance(body, dict):
        state.count("seeyon", "rejected")
        return _seeyon_answer(False, "请求数据不是JSON对象")
    for name in ("registerCode", "taskId", "title", "creationDate"):
        if not str(body.get(name, "")).strip():
            state.count("seeyon", "rejected")
            return _seeyon_answer(False, f"{name}不能为空")
    if not receiver:
        state.count("seeyon", "rejected")
        return _seeyon_answer(False, "thirdReceiverId与noneBindingReceiver不能同时为空")
    if body["registerCode"] not in config.seeyon_register_codes:
        state.count("seeyon", "rejected")
        return _seeyon_answer(False, f"registerCode【{body['registerCode']}】未注册")
    new = "done" if str(body.get("state", "0")) == "1" else "open"
    _upsert(
        state,
        "seeyon",
        str(body["taskId"]),
        receiver,
        title=str(body["title"]),
        todo_state=new,
        url=str(body.get("url") or body.get("h5url") or "") or None,
        raw=body,
    )
    state.count("seeyon", "accepted")
    await _after(state, fault)
    return _seeyon_answer(True, taskId=str(body["taskId"]))


@router.post("/seeyon/seeyon/rest/thirdpartyPending/updatePendingState")
async def seeyon_update(request: Request) -> Response:
    """``state`` 1 = 已办: the done call when the unit has reported."""
    config, state = sim(request)
    _raw, body = await json_body(request)
    if _seeyon_user(request, state) is None:
        state.count("seeyon", "rejected")
        return ok_json({"code": 401, "message": "token无效或已过期"}, status=401)
    body = body if isinstance(body, dict) else {}
    receiver = str(body.get("thirdReceiverId") or body.get("noneBindingReceiver") or "") or None
    fault, answer = await _fault(state, "seeyon", [receiver or ""])
    if answer is not None:
        return answer
    if body.get("registerCode") not in config.seeyon_register_codes or not body.get("taskId"):
        state.count("seeyon", "rejected")
        return _seeyon_answer(False, "registerCode或taskId无效")
    new = "done" if str(body.get("state", "1")) == "1" else "open"
    hit = _set_state(state, "seeyon", str(body["taskId"]), receiver, new)
    state.count("seeyon", "accepted")
    await _after(state, fault)
    return _seeyon_answer(hit > 0, "" if hit else "待办不存在")


# --- duban's generic signed webhook -----------------------------------------------------------


@router.post("/webhook/todo")
async def webhook_todo(request: Request) -> Response:
    """``{"event": "todo.created"|"todo.done", "todo_id", "receiver", "title", "url"}`` with
    ``X-Duban-Timestamp`` (unix seconds) and ``X-Duban-Signature`` (hex HMAC-SHA256 of
    ``<timestamp>.<raw body>``); a timestamp more than five minutes off is refused."""
    config, state = sim(request)
    raw, body = await json_body(request)
    stamp = request.headers.get("x-duban-timestamp", "")
    given = request.headers.get("x-duban-signature", "")
    try:
        fresh = abs(time.time() - int(stamp)) <= config.signature_max_skew_s
    except ValueError:
        fresh = False
    expected = webhook_signature(config.webhook_secret, stamp, raw)
    if not fresh or not constant_time_equal(expected, given):
        state.count("webhook", "rejected")
        return ok_json({"ok": False, "error": "bad signature or stale timestamp"}, status=401)
    if not isinstance(body, dict) or body.get("event") not in ("todo.created", "todo.done"):
        state.count("webhook", "rejected")
        return ok_json(
            {"ok": False, "error": "event must be todo.created or todo.done"}, status=400
        )
    receiver = str(body.get("receiver", "")) or None
    fault, answer = await _fault(state, "webhook", [receiver or ""])
    if answer is not None:
        return answer
    if not body.get("todo_id"):
        state.count("webhook", "rejected")
        return ok_json({"ok": False, "error": "todo_id is required"}, status=400)
    if body["event"] == "todo.created":
        if not receiver or not body.get("title"):
            state.count("webhook", "rejected")
            return ok_json({"ok": False, "error": "receiver and title are required"}, status=400)
        _upsert(
            state,
            "webhook",
            str(body["todo_id"]),
            receiver,
            title=str(body["title"]),
            todo_state="open",
            url=body.get("url"),
            raw=body,
        )
        hit = 1
    else:
        hit = _set_state(state, "webhook", str(body["todo_id"]), receiver, "done")
    state.count("webhook", "accepted")
    await _after(state, fault)
    if not hit:
        return ok_json({"ok": False, "error": "unknown todo"}, status=404)
    return ok_json({"ok": True})
