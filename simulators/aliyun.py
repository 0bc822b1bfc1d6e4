"""Aliyun SMS ``SendSms`` (dysmsapi 2017-05-25) over the RPC API, POP signature v1.

integrations.md §2.1 [S25]–[S28]: parameters, the ``Code``/``Message``/``BizId``/``RequestId``
answer, the ``isv.*`` codes, and the 短信通知 flow control (same sign+template → same number
≤ 50 in a rolling 24 h). Aliyun does not deduplicate: the same request twice is two messages
and two charges, which is what the notify service has to prevent on its own side.

Parameters are read from the query string and a form body alike (the SDKs use either); the
signature is checked over all of them with the request's own method. A reused
``SignatureNonce`` is refused as Aliyun refuses it, so a client that retries must sign anew.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response

from simulators.common import hang, ok_json, server_error, sim, timeout_before
from simulators.config import SimulatorConfig
from simulators.signatures import aliyun_signature, aliyun_string_to_sign, constant_time_equal
from simulators.sms import digits, fee, mainland_number
from simulators.state import SimulatorState

router = APIRouter(prefix="/aliyun")

HOST_ID = "dysmsapi.aliyuncs.com"
COMMON = (
    "AccessKeyId",
    "Action",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "Timestamp",
    "Version",
)


def _request_id() -> str:
    return str(uuid.uuid4()).upper()


def _pop_error(code: str, message: str, status: int) -> Response:
    """A gateway-level refusal (signature, credentials, throttling): non-200 status."""
    return ok_json(
        {"RequestId": _request_id(), "HostId": HOST_ID, "Code": code, "Message": message},
        status=status,
    )


def _biz_error(code: str, message: str) -> Response:
    """A SendSms business refusal: HTTP 200 and the ``isv.*`` code."""
    return ok_json({"Code": code, "Message": message, "RequestId": _request_id()})


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        raw = await request.body()
        if raw:
            params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _authenticate(
    config: SimulatorConfig, state: SimulatorState, method: str, params: dict[str, str]
) -> Response | None:
    for name in COMMON:
        if not params.get(name):
            return _pop_error(f"Missing{name}", f"{name} is mandatory for this action.", 400)
    if params["AccessKeyId"] != config.aliyun_access_key_id:
        return _pop_error("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
    if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
        return _pop_error(
            "InvalidSignatureMethod", "Specified signature method is not supported.", 400
        )
    try:
        stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return _pop_error(
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
            400,
        )
    if abs(datetime.now(UTC).timestamp() - stamp.timestamp()) > config.aliyun_nonce_ttl_s:
        return _pop_error(
            "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400
        )
    expected = aliyun_signature(method, params, config.aliyun_access_key_secret)
    if not constant_time_equal(expected, params["Signature"]):
        server_string = aliyun_string_to_sign(method, params)
        return _pop_error(
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation. "
            f"server string to sign is:{server_string}",
            400,
        )
    with state.lock:
        now = state.clock.now()
        nonce = params["SignatureNonce"]
        used = state.nonces.get(nonce)
        if used is not None and now - used < config.aliyun_nonce_ttl_s:
            return _pop_error(
                "SignatureNonceUsed", "Specified signature nonce was used already.", 400
            )
        state.nonces[nonce] = now
    if params["Action"] != "SendSms":
        return _pop_error(
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
            404,
        )
    if params["Version"] != "2017-05-25":
        return _pop_error("InvalidVersion", "Specified parameter Version is not valid.", 400)
    return None


def _render(text: str, values: dict[str, Any]) -> str:
    for name, value in values.items():
        text = text.replace("${" + name + "}", str(value))
    return text


@router.api_route("/", methods=["GET", "POST"])
async def send_sms(request: Request) -> Response:
    config, state = sim(request)
    params = await _params(request)
    refused = _authenticate(config, state, request.method, params)
    if refused is not None:
        state.count("aliyun", "rejected")
        return refused
    raw_numbers = [n for n in params.get("PhoneNumbers", "").split(",") if n.strip()]
    if not raw_numbers:
        state.count("aliyun", "rejected")
        return _pop_error("MissingPhoneNumbers", "PhoneNumbers is mandatory for this action.", 400)

    fault = state.take_fault("aliyun", raw_numbers)
    if fault:
        injected = {
            "busy": ("isp.SYSTEM_ERROR", "系统异常"),
            "throttled": ("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"),
            "bad_number": ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"),
            "template_rejected": ("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"),
        }
        if fault.mode == "timeout_before":
            return await timeout_before(state, fault)
        if fault.mode in injected:
            state.count_failure("aliyun", fault.mode)
            return _biz_error(*injected[fault.mode])
        if fault.mode == "rate_limited":
            state.count_failure("aliyun", fault.mode)
            return _pop_error(
                "Throttling.User", "Request was denied due to user flow control.", 400
            )
        if fault.mode == "server_error":
            state.count_failure("aliyun", fault.mode)
            return server_error()

    refusal = _check_business(config, state, params, raw_numbers)
    if isinstance(refusal, Response):
        state.count("aliyun", "rejected")
        return refusal
    numbers, content = refusal
    biz_id = f"{digits(15)}^0"
    request_id = _request_id()
    body = {k: v for k, v in params.items() if k != "Signature"}
    with state.lock:
        for number in numbers:
            state.window_hit(("aliyun", params["SignName"], params["TemplateCode"], number))
            state.record(
                "aliyun",
                number,
                content,
                "delivered",
                provider_id=biz_id,
                request_id=request_id,
                body={**body, "OutId": params.get("OutId"), "Fee": fee(content)},
            )
        state.count("aliyun", "accepted")
    if fault and fault.mode == "timeout_after":
        state.count_failure("aliyun", fault.mode)
        await hang(fault)
    return ok_json({"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id})


def _check_business(
    config: SimulatorConfig, state: SimulatorState, params: dict[str, str], raw_numbers: list[str]
) -> Response | tuple[list[str], str]:
    """The checks Aliyun makes once it knows who is asking, in its order; the numbers and the
    rendered text when all pass."""
    if len(raw_numbers) > 1000:
        return _biz_error("isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制")
    sign = params.get("SignName", "")
    if sign not in config.aliyun_sign_names:
        return _biz_error("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
    template = config.aliyun_templates.get(params.get("TemplateCode", ""))
    if template is None:
        return _biz_error("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
    try:
        values = json.loads(params.get("TemplateParam") or "{}")
    except ValueError:
        values = None
    if not isinstance(values, dict):
        return _biz_error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
    missing = [name for name in template.aliyun_params() if name not in values]
    if missing:
        return _biz_error("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
    numbers: list[str] = []
    for raw in raw_numbers:
        number = mainland_number(raw)
        if number is None:
            return _biz_error("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        numbers.append(number)
    for number in numbers:
        key = ("aliyun", sign, params["TemplateCode"], number)
        if state.window_count(key, 86400) >= config.aliyun_daily_limit_per_number:
            return _biz_error(
                "isv.BUSINESS_LIMIT_CONTROL",
                f"触发天级流控Permits:{config.aliyun_daily_limit_per_number}",
            )
    return numbers, f"【{sign}】" + _render(template.text, values)
