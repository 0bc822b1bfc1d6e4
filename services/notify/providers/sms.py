"""What the SMS providers share: the message, phone numbers, templates, and the failover.

One message goes to one number (the engine has one delivery per recipient). The text itself
is not ours to send: both providers only send pre-approved templates, so a message names a
reminder ``kind`` and our parameters by name; ``DUBAN_NOTIFY_SMS_TEMPLATES`` maps the kind to
each provider's template id and to the order of Tencent's ``{1}``, ``{2}`` ….

Neither provider deduplicates: the same request twice is two messages. So ``FailoverSms``
moves on to the next provider only when the answer proves the message was not accepted and
the reason lies with that provider (busy, throttled API, refused credentials, template or
sign not approved there, connection never opened). It stops at an acceptance, at an
``in_doubt`` (a timeout after sending: the first provider may have sent it), and at a reason
that lies with the recipient (a bad number, the number's own flow control), which another
provider would meet as well or must not be used to get around.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol

from services.notify.providers.result import RateLimit, SendResult, failed
from services.notify.providers.settings import SmsTemplate

log = logging.getLogger(__name__)

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
CHINA = timezone(timedelta(hours=8))


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """The bare 11-digit mainland mobile number behind ``13912345678``, ``+8613912345678``,
    ``008613912345678`` or ``8613912345678`` (spaces and dashes allowed); InvalidPhone when it
    is none of those."""
    number = re.sub(r"[\s\-()]", "", raw or "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
            break
    else:
        if len(number) == 13 and number.startswith("86"):
            number = number[2:]
    if not MAINLAND_MOBILE.match(number):
        tail = re.sub(r"\D", "", raw or "")[-4:]
        raise InvalidPhone(f"不是有效的大陆手机号（尾号 {tail or '无'}）")
    return number


def seconds_until_tomorrow(now: datetime | None = None) -> float:
    """Until 00:00 China time the next day (provider day caps are per calendar day there)."""
    now = (now or datetime.now(CHINA)).astimezone(CHINA)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max((midnight - now).total_seconds(), 1.0)


@dataclass(frozen=True)
class SmsMessage:
    phone: str  # any accepted form; each provider normalises it
    kind: str  # reminder kind, the key of DUBAN_NOTIFY_SMS_TEMPLATES
    params: Mapping[str, str] = field(default_factory=dict)
    out_id: str = ""  # our delivery key: Aliyun OutId, Tencent SessionContext


class SmsProvider(Protocol):
    provider: str
    safe_to_resend: bool
    rate_limits: tuple[RateLimit, ...]

    def send(self, message: SmsMessage) -> SendResult: ...

    def close(self) -> None: ...


def template_for(
    provider: str, templates: Mapping[str, SmsTemplate], message: SmsMessage
) -> tuple[str, list[str]] | SendResult:
    """The provider's template id and our parameter values in the configured order, or the
    failure when the kind has no template at that provider or a parameter is missing."""
    template = templates.get(message.kind)
    template_id = getattr(template, provider, None) if template else None
    if template is None or not template_id:
        return failed(
            provider,
            "no_template",
            f"提醒类型“{message.kind}”没有配置 {provider} 短信模板（DUBAN_NOTIFY_SMS_TEMPLATES）",
        )
    missing = [name for name in template.params if name not in message.params]
    if missing:
        return failed(provider, "missing_param", f"短信模板参数缺失：{', '.join(missing)}")
    return template_id, [str(message.params[name]) for name in template.params]


# Not accepted, but for a reason that lies with the number: no failover.
RECIPIENT_LEVEL = frozenset(
    {
        "invalid_phone",
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberInBlacklist",
        "LimitExceeded.DeliveryFrequencyLimit",
        "LimitExceeded.PhoneNumberDailyLimit",
        "LimitExceeded.PhoneNumberOneHourLimit",
        "LimitExceeded.PhoneNumberThirtySecondLimit",
        "LimitExceeded.PhoneNumberSameContentDailyLimit",
    }
)


def may_fail_over(result: SendResult) -> bool:
    return (
        result.status in ("retry", "failed")
        and not result.accepted
        and not result.invalid_recipients
        and result.code not in RECIPIENT_LEVEL
    )


class FailoverSms:
    """Tries the providers in order, on the rule in the module's docstring."""

    provider = "sms"
    safe_to_resend = False

    def __init__(self, providers: Sequence[SmsProvider], *, daily_cap_per_number: int = 10):
        if not providers:
            raise ValueError("FailoverSms needs at least one provider")
        self.providers = tuple(providers)
        self.rate_limits = (
            RateLimit("recipient", daily_cap_per_number, 86400, "督办：每个号码每天的短信上限"),
        )

    def close(self) -> None:
        for provider in self.providers:
            provider.close()

    def send(self, message: SmsMessage) -> SendResult:
        try:
            normalize_phone(message.phone)
        except InvalidPhone as exc:
            return failed(self.provider, "invalid_phone", str(exc), (message.phone,))
        tried: list[SendResult] = []
        for provider in self.providers:
            result = provider.send(message)
            tried.append(result)
            if not may_fail_over(result):
                break
            log.warning(
                "sms failover: %s did not accept (%s), %s",
                provider.provider,
                result.code,
                "trying the next provider" if provider is not self.providers[-1] else "none left",
            )
        last = tried[-1]
        if len(tried) == 1 or not may_fail_over(last):
            return last
        # Every provider refused: retry if any refusal was temporary.
        temporary = [r for r in tried if r.status == "retry"]
        summary = "；".join(f"{r.provider}：{r.message}" for r in tried)
        if temporary:
            waits = [r.retry_after_s for r in temporary if r.retry_after_s is not None]
            return SendResult(
                False,
                "retry",
                last.provider,
                code=last.code,
                message="所有短信通道均未受理，" + summary,
                retry_after_s=min(waits) if len(waits) == len(temporary) else None,
            )
        return failed(last.provider, last.code, "所有短信通道均未受理，" + summary)
