"""WeCom (企业微信 / 政务微信) server API: gettoken, app message/send and the group robot.

Shapes and codes follow the official pages summarised in shared/reference/integrations.md §1
(gettoken [S1], message/send [S3][S4], global error codes [S7], frequency limits [S6], robot
[S13][S14]). What the channel code must survive is modelled on purpose: the token that dies
early (40014/42001), the duplicate check that swallows a resent body, the per-member limit
whose excess WeCom drops *without an error*, the robot's 20/min that does answer 45009, and
``invaliduser`` that comes back lower-cased in a successful answer.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from simulators.common import hang, json_body, ok_json, server_error, sim, timeout_before
from simulators.state import Fault, SimulatorState

router = APIRouter(prefix="/wecom/cgi-bin")

MESSAGE_TYPES = ("text", "textcard", "markdown")
DUPLICATE_INTERVAL_DEFAULT = 1800
DUPLICATE_INTERVAL_MAX = 4 * 3600


def _err(code: int, msg: str, **extra: Any) -> Response:
    return ok_json({"errcode": code, "errmsg": msg, **extra})


def _injected(state: SimulatorState, fault: Fault) -> Response | None:
    """The answers that do not depend on the request: busy, rate limited, gateway error."""
    answers = {
        "busy": (-1, "system busy"),
        "rate_limited": (45009, "api freq out of limit"),
    }
    if fault.mode in answers:
        state.count_failure(fault.target, fault.mode)
        return _err(*answers[fault.mode])
    if fault.mode == "server_error":
        state.count_failure(fault.target, fault.mode)
        return server_error()
    return None


# --- gettoken -------------------------------------------------------------------------------


@router.get("/gettoken")
async def gettoken(request: Request, corpid: str = "", corpsecret: str = "") -> Response:
    """A token per app, the same one while it lives (older doc [S2]), a new one once it has
    expired or been revoked by an injected 42001/40014."""
    config, state = sim(request)
    fault = state.take_fault("gettoken")
    if fault:
        if fault.mode == "timeout_before":
            return await timeout_before(state, fault)
        if (answer := _injected(state, fault)) is not None:
            return answer
    if not corpid:
        return _err(41002, "corpid missing")
    if corpid != config.wecom_corpid:
        state.count("gettoken", "rejected")
        return _err(40013, "invalid corpid")
    if not corpsecret:
        return _err(41004, "corpsecret missing")
    app = config.wecom_secret_app(corpsecret)
    if app is None:
        state.count("gettoken", "rejected")
        return _err(40001, "invalid credential")
    now = state.clock.now()
    with state.lock:
        for token, info in state.tokens.items():
            if info["agentid"] == app.agentid and not info["revoked"] and info["expires_at"] > now:
                state.count("gettoken", "accepted")
                expires_in = int(info["expires_at"] - now)
                return _err(0, "ok", access_token=token, expires_in=expires_in)
        token = secrets.token_urlsafe(48)
        state.tokens[token] = {
            "agentid": app.agentid,
            "expires_at": now + config.wecom_token_ttl_s,
            "revoked": None,
        }
        state.count("gettoken", "accepted")
    return _err(0, "ok", access_token=token, expires_in=config.wecom_token_ttl_s)


def _check_token(state: SimulatorState, token: str) -> tuple[int | None, Response | None]:
    """The app the token belongs to, or the answer WeCom gives for a bad one."""
    if not token:
        return None, _err(41001, "access_token missing")
    with state.lock:
        info = state.tokens.get(token)
        if info is None or info["revoked"] == "invalid":
            return None, _err(40014, "invalid access_token")
        if info["revoked"] == "expired" or info["expires_at"] <= state.clock.now():
            return None, _err(42001, "access_token expired")
        return info["agentid"], None


def _revoke(state: SimulatorState, token: str, how: str) -> None:
    with state.lock:
        if token in state.tokens:
            state.tokens[token]["revoked"] = how


# --- message/send ---------------------------------------------------------------------------


def message_content(body: dict[str, Any]) -> str:
    """What the member reads, for the record and the page."""
    kind = body.get("msgtype")
    part = body.get(kind) if isinstance(kind, str) else None
    if not isinstance(part, dict):
        return ""
    if kind == "textcard":
        fields = (part.get("title"), part.get("description"), part.get("url"))
        return "\n".join(str(f) for f in fields if f)
    return str(part.get("content", ""))


def _validate(body: Any, agentid: int) -> Response | None:
    if not isinstance(body, dict):
        return _err(47001, "data format error")
    kind = body.get("msgtype")
    if kind not in MESSAGE_TYPES:
        return _err(40008, "invalid message type")
    try:
        if int(body.get("agentid", -1)) != agentid:
            return _err(40056, "invalid agentid")
    except (TypeError, ValueError):
        return _err(40056, "invalid agentid")
    part = body.get(kind)
    if not isinstance(part, dict):
        return _err(47001, "data format error")
    if kind in ("text", "markdown") and not part.get("content"):
        return _err(44004, "empty content")
    if kind == "textcard" and not (
        part.get("title") and part.get("description") and part.get("url")
    ):
        return _err(41016, "missing title or description or url")
    if len(message_content(body).encode()) > 2048 and kind == "text":
        return _err(45002, "content size out of limit")
    return None


@router.post("/message/send")
async def message_send(request: Request, access_token: str = "") -> Response:
    config, state = sim(request)
    _raw, body = await json_body(request)
    agentid, bad = _check_token(state, access_token)
    if bad is not None:
        state.count("wecom_app", "rejected")
        return bad
    assert agentid is not None
    if (invalid := _validate(body, agentid)) is not None:
        state.count("wecom_app", "rejected")
        return invalid
    named = [u for u in str(body.get("touser", "")).split("|") if u]
    directory = {m.lower(): m for m in config.wecom_members}
    if named == ["@all"]:
        named = list(config.wecom_members)

    fault = state.take_fault("wecom_app", named)
    drop_all = False
    forced_invalid: set[str] = set()
    if fault:
        if fault.mode == "timeout_before":
            return await timeout_before(state, fault)
        if fault.mode == "token_expired":
            _revoke(state, access_token, "expired")
            state.count_failure("wecom_app", fault.mode)
            return _err(42001, "access_token expired")
        if fault.mode == "token_invalid":
            _revoke(state, access_token, "invalid")
            state.count_failure("wecom_app", fault.mode)
            return _err(40014, "invalid access_token")
        if (answer := _injected(state, fault)) is not None:
            return answer
        if fault.mode == "invalid_user":
            state.count_failure("wecom_app", fault.mode)
            forced_invalid = (
                {u.lower() for u in named} if fault.match is None else {fault.match.lower()}
            )
        if fault.mode == "throttled":
            state.count_failure("wecom_app", fault.mode)
            drop_all = True

    valid: list[str] = []
    invalid: list[str] = []
    for user in named:
        low = user.lower()
        if low in directory and low not in forced_invalid:
            if directory[low] not in valid:
                valid.append(directory[low])
        elif low not in invalid:
            invalid.append(low)
    if not valid:
        state.count("wecom_app", "rejected")
        return _err(81013, "user & party & tag all invalid", invaliduser="|".join(invalid))

    content = message_content(body)
    answer = _deliver(config, state, body, agentid, valid, content, drop_all)
    answer.update(invaliduser="|".join(invalid), invalidparty="", invalidtag="", unlicenseduser="")
    state.count("wecom_app", "accepted")
    if fault and fault.mode == "timeout_after":
        state.count_failure("wecom_app", fault.mode)
        await hang(fault)
    return ok_json(answer)


def _deliver(
    config: Any,
    state: SimulatorState,
    body: dict[str, Any],
    agentid: int,
    users: list[str],
    content: str,
    drop_all: bool,
) -> dict[str, Any]:
    """Record one entry per member: delivered, a duplicate of an earlier one, or dropped over
    the per-member limit. All under the lock, so two racing sends cannot both pass a check."""
    with state.lock:
        now = state.clock.now()
        dup_key = None
        if body.get("enable_duplicate_check") in (1, "1", True):
            interval = body.get("duplicate_check_interval", DUPLICATE_INTERVAL_DEFAULT)
            try:
                interval = min(int(interval), DUPLICATE_INTERVAL_MAX)
            except (TypeError, ValueError):
                interval = DUPLICATE_INTERVAL_DEFAULT
            dup_key = (agentid, json.dumps(body, sort_keys=True, ensure_ascii=False))
            earlier = state.duplicates.get(dup_key)
            if earlier and now - earlier[0] < interval:
                _, record_ids, msgid = earlier
                by_user = {r.recipient: r.id for r in state.records if r.id in record_ids}
                for user in users:
                    state.record(
                        "wecom_app",
                        user,
                        content,
                        "duplicate",
                        provider_id=msgid,
                        duplicate_of=by_user.get(user),
                        body=body,
                    )
                return {"errcode": 0, "errmsg": "ok", "msgid": msgid}
        msgid = secrets.token_urlsafe(40)
        ids: list[str] = []
        for user in users:
            over = (
                drop_all
                or state.window_count(("wecom_member", agentid, user), 60)
                >= config.wecom_member_per_minute
                or state.window_count(("wecom_member", agentid, user), 3600)
                >= config.wecom_member_per_hour
            )
            if not over:
                state.window_hit(("wecom_member", agentid, user), keep_s=3600)
            rec = state.record(
                "wecom_app",
                user,
                content,
                "dropped" if over else "delivered",
                provider_id=msgid,
                body=body,
            )
            ids.append(rec.id)
        if dup_key is not None:
            state.duplicates[dup_key] = (now, ids, msgid)
    return {"errcode": 0, "errmsg": "ok", "msgid": msgid}


# --- group robot ------------------------------------------------------------------------------


@router.post("/webhook/send")
async def robot_send(request: Request, key: str = "") -> Response:
    """The robot (消息推送): the key is the only credential; 20 messages a minute per robot,
    the 21st answered 45009 (unlike app messages, which are dropped silently)."""
    config, state = sim(request)
    _raw, body = await json_body(request)
    if key not in config.robot_keys:
        state.count("wecom_robot", "rejected")
        return _err(93000, "invalid webhook url, hint: [simulator] key not configured")
    recipient = f"robot:{key}"
    fault = state.take_fault("wecom_robot", [recipient])
    if fault:
        if fault.mode == "timeout_before":
            return await timeout_before(state, fault)
        if (answer := _injected(state, fault)) is not None:
            return answer
    if not isinstance(body, dict) or body.get("msgtype") not in ("text", "markdown"):
        state.count("wecom_robot", "rejected")
        return _err(40008, "invalid message type")
    part = body.get(body["msgtype"])
    if not isinstance(part, dict) or not part.get("content"):
        state.count("wecom_robot", "rejected")
        return _err(44004, "empty content")
    limit = 2048 if body["msgtype"] == "text" else 4096
    if len(str(part["content"]).encode()) > limit:
        state.count("wecom_robot", "rejected")
        return _err(45002, "content size out of limit")
    with state.lock:
        if state.window_count(("robot", key), 60) >= config.robot_per_minute:
            state.count("wecom_robot", "rejected")
            return _err(45009, "api freq out of limit")
        state.window_hit(("robot", key), keep_s=60)
        mentions = [*part.get("mentioned_list", []), *part.get("mentioned_mobile_list", [])]
        content = str(part["content"])
        if mentions:
            content += "\n@" + " @".join(str(m) for m in mentions)
        state.record("wecom_robot", recipient, content, "delivered", body=body)
        state.count("wecom_robot", "accepted")
    if fault and fault.mode == "timeout_after":
        state.count_failure("wecom_robot", fault.mode)
        await hang(fault)
    return _err(0, "ok")
