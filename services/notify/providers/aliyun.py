"""Aliyun SMS ``SendSms`` (dysmsapi 2017-05-25) over the RPC API, POP signature v1.

integrations.md §2.1. Parameters go in a form body (POST) signed with HMAC-SHA1 over the
sorted, percent-encoded parameters; a fresh ``SignatureNonce`` and ``Timestamp`` every time
(Aliyun refuses a reused nonce). ``TemplateParam`` is a JSON *string* of our parameters by
name; ``OutId`` is our delivery key, echoed in receipts. Aliyun does not deduplicate: a
resend is a second message (``safe_to_resend = False``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

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
from services.notify.providers.sms import InvalidPhone, SmsMessage, normalize_phone, template_for
from shared.logs import mask_phone

log = logging.getLogger(__name__)

PROVIDER = "aliyun"

# --- POP v1 signing (client side) ----------------------------------------------------------


def percent_encode(value: str) -> str:
    """RFC 3986 as Aliyun specifies: UTF-8, ``A-Za-z0-9-_.~`` kept, space ``%20``, ``*`` ``%2A``."""
    return quote(value, safe="-_.~")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}"
        for k, v in sorted(params.items())
        if k != "Signature"
    )
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"


def pop_signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    """Base64 HMAC-SHA1 of the string to sign, keyed with ``AccessKeySecret + "&"``."""
    digest = hmac.new(
        (access_key_secret + "&").encode(), string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


# --- answers ---------------------------------------------------------------------------------

# Refusals an operator must fix (not accepted; another provider may well accept).
CONFIG_ERRORS = {
    "isv.SMS_SIGNATURE_ILLEGAL": "短信签名不存在或未审核通过，请核对 DUBAN_NOTIFY_ALIYUN_SIGN_NAME",
    "isv.SMS_TEMPLATE_ILLEGAL": "短信模板不存在或未审核通过，请核对 DUBAN_NOTIFY_SMS_TEMPLATES",
    "isv.TEMPLATE_MISSING_PARAMETERS": "模板变量缺少参数值，请核对模板的参数配置",
    "isv.INVALID_JSON_PARAM": "模板参数格式不正确",
    "isv.INVALID_PARAMETERS": "参数格式不正确",
    "isv.PARAM_LENGTH_LIMIT": "模板参数超过长度限制",
    "isv.AMOUNT_NOT_ENOUGH": "阿里云账户余额不足，请充值",
    "isv.OUT_OF_SERVICE": "阿里云短信业务已停机（余额不足或欠费）",
    "isv.ACCOUNT_NOT_EXISTS": "阿里云账户不存在",
    "isv.ACCOUNT_ABNORMAL": "阿里云账户异常",
    "isv.PRODUCT_UN_SUBSCRIPT": "未开通阿里云短信服务",
    "isv.DENY_IP_RANGE": "本服务器 IP 不在阿里云允许的范围内",
    "isp.RAM_PERMISSION_DENY": "AccessKey 没有发送短信的 RAM 权限",
    "SignatureDoesNotMatch": "签名不匹配，请核对 DUBAN_NOTIFY_ALIYUN_ACCESS_KEY_SECRET",
    "InvalidAccessKeyId.NotFound": "AccessKeyId 不存在，请核对 DUBAN_NOTIFY_ALIYUN_ACCESS_KEY_ID",
    "InvalidAccessKeyId.Inactive": "AccessKey 已停用",
    "InvalidTimeStamp.Expired": "本服务器时钟与标准时间相差超过 15 分钟，请校准时钟（NTP）",
}
RECIPIENT_ERRORS = {
    "isv.MOBILE_NUMBER_ILLEGAL": "手机号码格式错误或不是有效号码",
    "isv.BLACK_KEY_CONTROL_LIMIT": "号码或内容命中黑名单",
}
TRANSIENT_CODES = {
    "isp.SYSTEM_ERROR": None,
    "isp.GATEWAY_ERROR": None,
    "ServiceUnavailable": None,
    "InternalError": None,
    "SignatureNonceUsed": None,  # never reused on purpose: a fresh nonce next time
}


def _flow_control_wait(code: str, message: str) -> float:
    """isv.BUSINESS_LIMIT_CONTROL says which window tripped (触发分钟级/小时级/天级流控).
    Aliyun's day is a rolling 24 h, so a day-level refusal waits a full day."""
    if code == "isv.DAY_LIMIT_CONTROL" or "天级" in message:
        return 86400.0
    if "小时级" in message:
        return 3600.0
    return 60.0


class AliyunSms:
    provider = PROVIDER
    safe_to_resend = False
    rate_limits = (
        RateLimit("recipient", 50, 86400, "阿里云：短信通知同签名同模板同号码 24 小时 50 条"),
    )

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: SecretStr | str,
        sign_name: str,
        templates: Mapping[str, SmsTemplate],
        endpoint: str = "https://dysmsapi.aliyuncs.com/",
        region: str = "cn-hangzhou",
        timeouts: Timeouts | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self._key_id = access_key_id
        self._secret = (
            access_key_secret
            if isinstance(access_key_secret, SecretStr)
            else SecretStr(access_key_secret)
        )
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.endpoint = endpoint
        self.region = region
        self._http = client or make_client(timeouts or Timeouts())

    @classmethod
    def from_settings(cls, settings: ProviderSettings) -> AliyunSms | None:
        s = settings
        if not (s.aliyun_access_key_id and s.aliyun_access_key_secret and s.aliyun_sign_name):
            return None
        return cls(
            access_key_id=s.aliyun_access_key_id,
            access_key_secret=s.aliyun_access_key_secret,
            sign_name=s.aliyun_sign_name,
            templates=s.sms_templates,
            endpoint=s.aliyun_endpoint,
            region=s.aliyun_region,
            timeouts=s.timeouts,
        )

    def close(self) -> None:
        self._http.close()

    def signed_params(
        self, phone: str, template_code: str, values: Mapping[str, str], out_id: str
    ) -> dict[str, str]:
        params = {
            "AccessKeyId": self._key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": str(uuid.uuid4()),
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "PhoneNumbers": phone,
            "SignName": self.sign_name,
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(dict(values), ensure_ascii=False, separators=(",", ":")),
        }
        if out_id:
            params["OutId"] = out_id
        params["Signature"] = pop_signature("POST", params, self._secret.get_secret_value())
        return params

    def send(self, message: SmsMessage) -> SendResult:
        try:
            phone = normalize_phone(message.phone)
        except InvalidPhone as exc:
            return failed(PROVIDER, "invalid_phone", str(exc), (message.phone,))
        chosen = template_for(PROVIDER, self.templates, message)
        if isinstance(chosen, SendResult):
            return chosen
        template_code, values = chosen
        names = self.templates[message.kind].params
        params = self.signed_params(
            phone, template_code, dict(zip(names, values, strict=True)), message.out_id
        )
        result = self._post(params, message.phone)
        log.info(
            "aliyun SendSms to %s: status=%s code=%s biz_id=%s",
            mask_phone(phone),
            result.status,
            result.code,
            result.provider_id,
        )
        return result

    def _post(self, params: dict[str, str], given_phone: str) -> SendResult:
        what = "阿里云短信发送"
        try:
            response = self._http.post(self.endpoint, data=params)
        except httpx.HTTPError as exc:
            return transport_failure(PROVIDER, what, exc)
        if (bad := status_failure(PROVIDER, what, response, safe_to_resend=False)) is not None:
            return bad
        answer = json_of(response)
        if not isinstance(answer, dict) or "Code" not in answer:
            return failed(PROVIDER, f"HTTP {response.status_code}", f"{what}：答复无法识别")
        code = str(answer["Code"])
        text = mask_phone(str(answer.get("Message", "")))[:200]
        if code == "OK" and response.status_code == 200:
            return delivered(PROVIDER, answer.get("BizId") or None, "阿里云已受理")
        if code in ("isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL"):
            wait = _flow_control_wait(code, text)
            when = "明天（24 小时后）" if wait >= 86400 else f"{int(wait)} 秒后"
            return retry(PROVIDER, code, f"阿里云对该号码限流（{text}），{when}再试", wait)
        if code.startswith("Throttling"):
            return retry(PROVIDER, code, f"阿里云接口限流（{code}），稍后重试", 5.0)
        if code in TRANSIENT_CODES:
            return retry(PROVIDER, code, f"阿里云繁忙（{code}），稍后重试")
        if code in RECIPIENT_ERRORS:
            return failed(
                PROVIDER, code, f"阿里云：{RECIPIENT_ERRORS[code]}（{code}）", (given_phone,)
            )
        if code in CONFIG_ERRORS:
            return failed(PROVIDER, code, f"阿里云：{CONFIG_ERRORS[code]}（{code}）")
        return failed(PROVIDER, code, f"阿里云拒绝发送（{code}：{text}）")
