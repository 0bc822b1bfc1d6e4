"""Tencent Cloud SMS ``SendSms`` (API 2021-01-11), TC3-HMAC-SHA256 signed.

integrations.md §2.2 [S33]–[S41]. API-level refusals come as ``Response.Error``; per-number
outcomes come in ``SendStatusSet`` with ``Code: "Ok"`` or an error code, so one call can
partly succeed and the client must read each entry. ``SessionContext`` is echoed back.

The signature covers the ``Host`` header. A client pointed at the simulator still signs the
host it would use for real (``sms.tencentcloudapi.com`` by default, ``tencent_host`` in the
config), so the simulator recomputes the signature with that host in place of the one the
request actually arrived with.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from simulators.common import hang, json_body, ok_json, server_error, sim, timeout_before
from simulators.config import SimulatorConfig
from simulators.signatures import (
    constant_time_equal,
    parse_tc3_authorization,
    tc3_canonical_request,
    tc3_date,
    tc3_signature,
    tc3_string_to_sign,
)
from simulators.sms import digits, fee, mainland_number
from simulators.state import SimulatorState

router = APIRouter(prefix="/tencent")


def _error(code: str, message: str) -> Response:
    return ok_json(
        {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}}
    )


def _authenticate(config: SimulatorConfig, request: Request, raw: bytes) -> Response | None:
    headers = {k.lower(): v for k, v in request.headers.items()}
    auth = parse_tc3_authorization(headers.get("authorization", ""))
    if auth is None:
        return _error("AuthFailure.InvalidAuthorization", "Authorization header is invalid.")
    try:
        timestamp = int(headers.get("x-tc-timestamp", ""))
    except ValueError:
        return _error(
            "MissingParameter", "The request is missing a required parameter `Timestamp`."
        )
    if abs(time.time() - timestamp) > config.signature_max_skew_s:
        return _error("AuthFailure.SignatureExpire", "Signature expire.")
    if auth["secret_id"] != config.tencent_secret_id:
        return _error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
    signed = auth["signed_headers"].split(";")
    if "content-type" not in signed or "host" not in signed:
        return _error(
            "AuthFailure.SignatureFailure", "SignedHeaders must cover content-type and host."
        )
    headers["host"] = config.tencent_host
    if any(name not in headers for name in signed):
        return _error("AuthFailure.SignatureFailure", "A signed header is missing.")
    if (
        auth["date"] != tc3_date(timestamp)
        or auth["service"] != "sms"
        or auth["terminator"] != "tc3_request"
    ):
        return _error("AuthFailure.SignatureFailure", "The credential scope does not match.")
    canonical = tc3_canonical_request(request.method, request.url.query, headers, signed, raw)
    to_sign = tc3_string_to_sign(timestamp, "sms", canonical)
    expected = tc3_signature(config.tencent_secret_key, timestamp, "sms", to_sign)
    if not constant_time_equal(expected, auth["signature"]):
        return _error(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. "
            "Please check your signature is correct.",
        )
    if headers.get("x-tc-action") != "SendSms":
        return _error("InvalidAction", "The action is not supported by the simulator.")
    if headers.get("x-tc-version") != "2021-01-11":
        return _error("InvalidParameterValue", "Version must be 2021-01-11.")
    if not headers.get("x-tc-region"):
        return _error("MissingParameter", "The request is missing a required parameter `Region`.")
    return None


def _render(text: str, values: list[str]) -> str:
    for i, value in enumerate(values, start=1):
        text = text.replace("{" + str(i) + "}", value)
    return text


def _check_request(
    config: SimulatorConfig, body: Any
) -> Response | tuple[list[str], str, str, str]:
    if not isinstance(body, dict):
        return _error("InvalidParameter", "The body is not a JSON object.")
    numbers = body.get("PhoneNumberSet")
    if not isinstance(numbers, list) or not numbers:
        return _error(
            "MissingParameter", "The request is missing a required parameter `PhoneNumberSet`."
        )
    if len(numbers) > 200:
        return _error("LimitExceeded.PhoneNumberCountLimit", "at most 200 numbers a request")
    if str(body.get("SmsSdkAppId", "")) != config.tencent_sdk_app_id:
        return _error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId not exist.")
    sign = str(body.get("SignName", ""))
    if sign not in config.tencent_sign_names:
        return _error(
            "FailedOperation.SignatureIncorrectOrUnapproved", "signature incorrect or unapproved"
        )
    template_id = str(body.get("TemplateId", ""))
    template = config.tencent_templates.get(template_id)
    if template is None:
        return _error(
            "FailedOperation.TemplateIncorrectOrUnapproved", "template incorrect or unapproved"
        )
    params = body.get("TemplateParamSet", [])
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        return _error(
            "InvalidParameterValue.TemplateParameterFormatError",
            "TemplateParamSet must be an array of strings, in the template's order.",
        )
    if len(params) != template.tencent_param_count():
        return _error(
            "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
            "the number of parameters does not match the approved template",
        )
    return (
        [str(n) for n in numbers],
        sign,
        template_id,
        f"【{sign}】" + _render(template.text, params),
    )


@router.post("/")
async def send_sms(request: Request) -> Response:
    config, state = sim(request)
    raw, body = await json_body(request)
    refused = _authenticate(config, request, raw)
    if refused is not None:
        state.count("tencent", "rejected")
        return refused
    checked = _check_request(config, body)
    if isinstance(checked, Response):
        state.count("tencent", "rejected")
        return checked
    numbers, sign, template_id, content = checked
    fault = state.take_fault("tencent", numbers)
    per_number_fault: dict[str, tuple[str, str]] = {}
    if fault:
        if fault.mode == "timeout_before":
            return await timeout_before(state, fault)
        if fault.mode in ("busy", "rate_limited", "server_error"):
            state.count_failure("tencent", fault.mode)
            if fault.mode == "server_error":
                return server_error()
            if fault.mode == "busy":
                return _error("InternalError", "internal error")
            return _error("RequestLimitExceeded", "request limit exceeded")
        injected = {
            "throttled": ("LimitExceeded.DeliveryFrequencyLimit", "delivery frequency limit"),
            "bad_number": ("InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number"),
            "template_rejected": (
                "FailedOperation.TemplateIncorrectOrUnapproved",
                "template incorrect or unapproved",
            ),
        }
        if fault.mode in injected:
            state.count_failure("tencent", fault.mode)
            hit = [n for n in numbers if fault.match is None or fault.matches([n])]
            per_number_fault = {n: injected[fault.mode] for n in hit}

    session = str(body.get("SessionContext", ""))
    request_id = str(uuid.uuid4())
    statuses: list[dict[str, Any]] = []
    with state.lock:
        for given in numbers:
            status = _one_number(
                config, state, given, per_number_fault.get(given), content, template_id
            )
            entry = {
                "SerialNo": "",
                "PhoneNumber": given,
                "Fee": 0,
                "SessionContext": session,
                "Code": status[0],
                "Message": status[1],
                "IsoCode": "CN" if mainland_number(given) else "",
            }
            if status[0] == "Ok":
                number = mainland_number(given) or given
                entry["SerialNo"] = f"2640:{digits(28)}"
                entry["Fee"] = fee(content)
                state.record(
                    "tencent",
                    number,
                    content,
                    "delivered",
                    provider_id=entry["SerialNo"],
                    request_id=request_id,
                    body={**body, "SessionContext": session, "Sign": sign},
                )
            statuses.append(entry)
        state.count("tencent", "accepted")
    if fault and fault.mode == "timeout_after":
        state.count_failure("tencent", fault.mode)
        await hang(fault)
    return ok_json({"Response": {"SendStatusSet": statuses, "RequestId": request_id}})


def _one_number(
    config: SimulatorConfig,
    state: SimulatorState,
    given: str,
    injected: tuple[str, str] | None,
    content: str,
    template_id: str,
) -> tuple[str, str]:
    """The outcome for one number of the set, counting it against the frequency rules."""
    if injected:
        return injected
    number = mainland_number(given)
    if number is None:
        return ("InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number")
    if state.window_count(("tencent_day", number), 86400) >= config.tencent_daily_limit_per_number:
        return ("LimitExceeded.PhoneNumberDailyLimit", "phone number daily limit")
    interval = config.tencent_same_content_interval_s
    if interval > 0 and state.window_count(("tencent_same", number, content), interval) > 0:
        return ("LimitExceeded.DeliveryFrequencyLimit", "delivery frequency limit")
    state.window_hit(("tencent_day", number))
    state.window_hit(("tencent_same", number, content))
    return ("Ok", "send success")
