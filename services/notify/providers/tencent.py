"""Tencent Cloud SMS ``SendSms`` (API 2021-01-11), TC3-HMAC-SHA256 signed.

integrations.md §2.2. A JSON body; ``TemplateParamSet`` is an ordered array of strings (the
order of the template's ``{1}``, ``{2}`` …, from the configured ``params``); numbers in E.164
(``+86…``); ``SessionContext`` is our delivery key, echoed back. Request-wide refusals come as
``Response.Error``, the outcome for the number in ``SendStatusSet``. No deduplication at
Tencent either (``safe_to_resend = False``).

The signature covers the ``Host`` header: we sign ``sign_host`` (``sms.tencentcloudapi.com``)
even when the endpoint is somewhere else (a proxy, the simulator).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx
from pydantic import SecretStr

from services.notify.providers.http import (
    Timeouts,
    json_of,
    make_client,
    status_failure,
    transport_failure,
)
from services.notify.providers.result import RateLimit, SendResult, delivered, failed, retry
from services.notify.providers.settings import ProviderSettings, SmsTemplate
from services.notify.providers.sms import (
    InvalidPhone,
    SmsMessage,
    normalize_phone,
    seconds_until_tomorrow,
    template_for,
)
from shared.logs import mask_phone

log = logging.getLogger(__name__)

PROVIDER = "tencent"
SERVICE = "sms"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = ("content-type", "host", "x-tc-action")

# --- TC3-HMAC-SHA256 signing (client side) --------------------------------------------------


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_authorization(
    secret_id: str,
    secret_key: str,
    *,
    service: str,
    timestamp: int,
    headers: Mapping[str, str],
    body: bytes,
    signed_headers: tuple[str, ...] = SIGNED_HEADERS,
    method: str = "POST",
    query: str = "",
) -> str:
    """The ``Authorization`` header: canonical request → string to sign → derived key
    (``TC3``+key → date → service → ``tc3_request``) → hex HMAC. ``headers`` by lower-case
    name; values are trimmed and lower-cased in the canonical form."""
    canonical_headers = "".join(f"{h}:{headers[h].strip().lower()}\n" for h in signed_headers)
    names = ";".join(signed_headers)
    canonical = "\n".join(
        [method, "/", query, canonical_headers, names, hashlib.sha256(body).hexdigest()]
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        [ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac256(_hmac256(_hmac256(("TC3" + secret_key).encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={names}, Signature={signature}"
    )


# --- answers ---------------------------------------------------------------------------------

CONFIG_ERRORS = {
    "AuthFailure.SignatureExpire": "本服务器时钟与标准时间相差超过 5 分钟，请校准时钟（NTP）",
    "AuthFailure.SecretIdNotFound": "SecretId 不存在，请核对 DUBAN_NOTIFY_TENCENT_SECRET_ID",
    "AuthFailure.SignatureFailure": "签名校验失败，请核对 DUBAN_NOTIFY_TENCENT_SECRET_KEY",
    "AuthFailure.UnauthorizedOperation": "该密钥没有发送短信的权限（CAM）",
    "InvalidParameterValue.SdkAppIdNotExist": (
        "SmsSdkAppId 不存在，请核对 DUBAN_NOTIFY_TENCENT_SDK_APP_ID"
    ),
    "FailedOperation.SignatureIncorrectOrUnapproved": (
        "短信签名未审核通过或不存在，请核对 DUBAN_NOTIFY_TENCENT_SIGN_NAME"
    ),
    "FailedOperation.TemplateIncorrectOrUnapproved": (
        "短信模板未审核通过或不存在，请核对 DUBAN_NOTIFY_SMS_TEMPLATES"
    ),
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": (
        "模板参数个数与审核通过的模板不符，请核对 params 配置"
    ),
    "InvalidParameterValue.TemplateParameterFormatError": "模板参数格式错误",
    "FailedOperation.InsufficientBalanceInSmsPackage": "腾讯云短信套餐包余量不足，请购买",
    "FailedOperation.ContainSensitiveWord": "短信内容含敏感词",
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": "SmsSdkAppId 校验失败",
}
RECIPIENT_ERRORS = {
    "InvalidParameterValue.IncorrectPhoneNumber": "手机号码格式错误或不是有效号码",
    "FailedOperation.PhoneNumberInBlacklist": "号码在黑名单中（用户已退订或被拉黑）",
}
RECIPIENT_LIMITS = {  # code -> seconds to wait; None = until tomorrow (a calendar-day cap)
    "LimitExceeded.DeliveryFrequencyLimit": 60.0,
    "LimitExceeded.PhoneNumberThirtySecondLimit": 30.0,
    "LimitExceeded.PhoneNumberOneHourLimit": 3600.0,
    "LimitExceeded.PhoneNumberDailyLimit": None,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": None,
}


class TencentSms:
    provider = PROVIDER
    safe_to_resend = False
    rate_limits = (
        RateLimit("recipient", 1, 30, "腾讯云：同内容同号码 30 秒 1 条（控制台默认，可调）"),
        RateLimit("recipient", 10, 86400, "腾讯云：同号码每自然日 10 条（控制台默认，可调）"),
    )

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: SecretStr | str,
        sdk_app_id: str,
        sign_name: str,
        templates: Mapping[str, SmsTemplate],
        endpoint: str = "https://sms.tencentcloudapi.com/",
        sign_host: str = "sms.tencentcloudapi.com",
        region: str = "ap-guangzhou",
        timeouts: Timeouts | None = None,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret_id = secret_id
        self._secret_key = (
            secret_key if isinstance(secret_key, SecretStr) else SecretStr(secret_key)
        )
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.endpoint = endpoint
        self.sign_host = sign_host
        self.region = region
        self._clock = clock
        self._http = client or make_client(timeouts or Timeouts())

    @classmethod
    def from_settings(cls, settings: ProviderSettings) -> TencentSms | None:
        s = settings
        if not (
            s.tencent_secret_id
            and s.tencent_secret_key
            and s.tencent_sdk_app_id
            and s.tencent_sign_name
        ):
            return None
        return cls(
            secret_id=s.tencent_secret_id,
            secret_key=s.tencent_secret_key,
            sdk_app_id=s.tencent_sdk_app_id,
            sign_name=s.tencent_sign_name,
            templates=s.sms_templates,
            endpoint=s.tencent_endpoint,
            sign_host=s.tencent_sign_host,
            region=s.tencent_region,
            timeouts=s.timeouts,
        )

    def close(self) -> None:
        self._http.close()

    def signed_request(self, payload: dict) -> tuple[dict[str, str], bytes]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(self._clock())
        headers = {"content-type": CONTENT_TYPE, "host": self.sign_host, "x-tc-action": "SendSms"}
        authorization = tc3_authorization(
            self._secret_id,
            self._secret_key.get_secret_value(),
            service=SERVICE,
            timestamp=timestamp,
            headers=headers,
            body=body,
        )
        sent = {
            "Content-Type": CONTENT_TYPE,
            "X-TC-Action": "SendSms",
            "X-TC-Version": "2021-01-11",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
            "Authorization": authorization,
        }
        return sent, body

    def send(self, message: SmsMessage) -> SendResult:
        try:
            phone = normalize_phone(message.phone)
        except InvalidPhone as exc:
            return failed(PROVIDER, "invalid_phone", str(exc), (message.phone,))
        chosen = template_for(PROVIDER, self.templates, message)
        if isinstance(chosen, SendResult):
            return chosen
        template_id, values = chosen
        payload = {
            "PhoneNumberSet": ["+86" + phone],
            "SmsSdkAppId": self.sdk_app_id,
            "SignName": self.sign_name,
            "TemplateId": template_id,
            "TemplateParamSet": values,
            "SessionContext": message.out_id,
        }
        result = self._post(payload, message.phone)
        log.info(
            "tencent SendSms to %s: status=%s code=%s serial=%s",
            mask_phone(phone),
            result.status,
            result.code,
            result.provider_id,
        )
        return result

    def _post(self, payload: dict, given_phone: str) -> SendResult:
        what = "腾讯云短信发送"
        headers, body = self.signed_request(payload)
        try:
            response = self._http.post(self.endpoint, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return transport_failure(PROVIDER, what, exc)
        if (bad := status_failure(PROVIDER, what, response, safe_to_resend=False)) is not None:
            return bad
        answer = json_of(response)
        reply = answer.get("Response") if isinstance(answer, dict) else None
        if not isinstance(reply, dict):
            return failed(PROVIDER, f"HTTP {response.status_code}", f"{what}：答复无法识别")
        error = reply.get("Error")
        if isinstance(error, dict):
            return _request_error(str(error.get("Code", "")), str(error.get("Message", "")))
        statuses = reply.get("SendStatusSet") or []
        if not statuses or not isinstance(statuses[0], dict):
            return failed(PROVIDER, None, f"{what}：答复中没有发送状态")
        return _number_status(statuses[0], given_phone)


def _request_error(code: str, text: str) -> SendResult:
    text = mask_phone(text)[:200]
    if code.startswith(("InternalError", "RequestLimitExceeded", "ResourceUnavailable")):
        wait = 1.0 if code.startswith("RequestLimitExceeded") else None
        return retry(PROVIDER, code, f"腾讯云繁忙或接口限频（{code}），稍后重试", wait)
    if code in CONFIG_ERRORS:
        return failed(PROVIDER, code, f"腾讯云：{CONFIG_ERRORS[code]}（{code}）")
    if code in RECIPIENT_ERRORS:
        return failed(PROVIDER, code, f"腾讯云：{RECIPIENT_ERRORS[code]}（{code}）")
    return failed(PROVIDER, code, f"腾讯云拒绝发送（{code}：{text}）")


def _number_status(entry: dict, given_phone: str) -> SendResult:
    code = str(entry.get("Code", ""))
    if code == "Ok":
        return delivered(PROVIDER, entry.get("SerialNo") or None, "腾讯云已受理")
    if code in RECIPIENT_LIMITS:
        wait = RECIPIENT_LIMITS[code]
        if wait is None:
            return retry(
                PROVIDER,
                code,
                f"腾讯云：该号码今日条数已达上限（{code}），明天再试",
                seconds_until_tomorrow(),
            )
        return retry(
            PROVIDER, code, f"腾讯云：该号码触发频率限制（{code}），{int(wait)} 秒后再试", wait
        )
    if code in RECIPIENT_ERRORS:
        return failed(PROVIDER, code, f"腾讯云：{RECIPIENT_ERRORS[code]}（{code}）", (given_phone,))
    return _request_error(code, str(entry.get("Message", "")))
