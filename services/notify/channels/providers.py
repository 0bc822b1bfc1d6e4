"""The four real channels: each wraps one provider client (``services/notify/providers``)
behind the ``Channel`` interface, and maps the client's ``SendResult`` onto an ``Outcome``.

A channel adds nothing of its own: the client knows the protocol, the sender knows the rules.
What lives here is only the translation: which contact field a channel sends to, what the
message looks like there (a WeCom card, a robot's text, an SMS template, an OA to-do), and
the client's declared limits in the sender's terms. A channel whose credentials are not
configured cannot be enabled: its factory says which settings are missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from services.notify.channels.base import Address, Outcome, Outgoing, RateLimit
from services.notify.providers.oa import Todo
from services.notify.providers.registry import OaDirectory, oa_client, sms_from_settings
from services.notify.providers.result import RateLimit as ClientLimit
from services.notify.providers.result import SendResult
from services.notify.providers.settings import ProviderSettings
from services.notify.providers.sms import FailoverSms, SmsMessage
from services.notify.providers.wecom import WeComApp
from services.notify.providers.wecom_robot import WeComRobot
from services.notify.settings import NotifySettings


class NotConfigured(ValueError):
    """A channel enabled in DUBAN_NOTIFY_CHANNELS without its provider's settings."""


def outcome_of(result: SendResult) -> Outcome:
    """The client's answer in the sender's terms; an address the provider does not know is
    a permanent failure for this recipient on this channel."""
    code = result.code or ""
    if result.status == "delivered" and not result.invalid_recipients:
        return Outcome.delivered(result.provider, result.provider_id)
    if result.status == "delivered" or result.status == "failed":
        invalid = bool(result.invalid_recipients)
        message = result.message or "收件人无效"
        return Outcome.failed(code, message, result.provider, invalid_recipient=invalid)
    if result.status == "retry":
        return Outcome.retry(code, result.message, result.provider, result.retry_after_s)
    return Outcome.in_doubt(code, result.message, result.provider)


def limits_of(declared: Sequence[ClientLimit]) -> list[RateLimit]:
    return [RateLimit(d.limit, d.window_s, d.scope == "recipient") for d in declared]


@dataclass
class WeComAppChannel:
    """企业微信应用消息: a text card with the task's link, to the contact's WeCom userid."""

    client: WeComApp
    name: str = "wecom_app"
    address: Address = "wecom_userid"
    safe_to_resend: bool = True  # the client always switches WeCom's duplicate check on
    quiet_hours: bool = False
    digest: bool = True
    limits: list[RateLimit] = field(default_factory=list)

    def send(self, message: Outgoing) -> Outcome:
        userid = message.recipient.wecom_userid or ""
        result = self.client.send_textcard(
            [userid], title=message.title, description=message.body, url=message.link
        )
        return outcome_of(result)


@dataclass
class WeComRobotChannel:
    """企业微信群机器人: the unit's group, the contact mentioned by mobile when known."""

    client: WeComRobot
    name: str = "wecom_robot"
    address: Address = "none"
    safe_to_resend: bool = False  # a robot has no duplicate check
    quiet_hours: bool = True
    digest: bool = True
    limits: list[RateLimit] = field(default_factory=list)

    def send(self, message: Outgoing) -> Outcome:
        mobile = message.recipient.mobile
        text = f"{message.title}\n{message.body}\n{message.link}"
        mention = [mobile] if mobile else []
        return outcome_of(self.client.send_text(text, mentioned_mobile_list=mention))


@dataclass
class SmsChannel:
    """短信: the template of the message's kind, its parameters by name, our key as the
    providers' OutId / SessionContext; the failover chain never sends an accepted SMS twice."""

    client: FailoverSms
    name: str = "sms"
    address: Address = "mobile"
    safe_to_resend: bool = False  # neither provider deduplicates
    quiet_hours: bool = True
    digest: bool = True
    limits: list[RateLimit] = field(default_factory=list)

    def send(self, message: Outgoing) -> Outcome:
        sms = SmsMessage(
            phone=message.recipient.mobile or "",
            kind=message.kind,
            params=dict(message.params),
            out_id=message.key,
        )
        return outcome_of(self.client.send(sms))


@dataclass
class OaTodoChannel:
    """OA 待办: a to-do in the OA system of the contact's unit, keyed by our delivery key (a
    resend updates the same to-do); ``todo_done`` marks the earlier to-do done."""

    directory: OaDirectory
    name: str = "oa_todo"
    address: Address = "oa_account"
    safe_to_resend: bool = True
    quiet_hours: bool = False
    digest: bool = False
    limits: list[RateLimit] = field(default_factory=list)

    def send(self, message: Outgoing) -> Outcome:
        client = self.directory.for_unit(message.recipient.owner)
        if client is None:
            return Outcome.failed("no_oa", f"{message.recipient.owner}未接入 OA 待办")
        receiver = message.recipient.oa_account or ""
        if message.kind == "todo_done" and message.refers_to is not None:
            done = client.done(f"duban-{message.refers_to}", receiver, title=message.title)
            return outcome_of(done)
        todo = Todo(key=message.key, receiver=receiver, title=message.title, url=message.link)
        return outcome_of(client.create(todo))


def _missing(channel: str, what: str) -> NotConfigured:
    return NotConfigured(f"已启用渠道 {channel}，但未配置{what}")


def wecom_app(_settings: NotifySettings) -> WeComAppChannel:
    client = WeComApp.from_settings(ProviderSettings())
    if client is None:
        raise _missing("wecom_app", " DUBAN_NOTIFY_WECOM_CORPID/CORPSECRET/AGENTID")
    return WeComAppChannel(client, limits=limits_of(client.rate_limits))


def wecom_robot(_settings: NotifySettings) -> WeComRobotChannel:
    client = WeComRobot.from_settings(ProviderSettings())
    if client is None:
        raise _missing("wecom_robot", " DUBAN_NOTIFY_WECOM_ROBOT_KEY")
    return WeComRobotChannel(client, limits=limits_of(client.rate_limits))


def sms(_settings: NotifySettings) -> SmsChannel:
    client = sms_from_settings(ProviderSettings())
    if client is None:
        raise _missing("sms", "任何短信服务商（阿里云或腾讯云）的密钥")
    return SmsChannel(client, limits=limits_of(client.rate_limits))


def oa_todo(_settings: NotifySettings) -> OaTodoChannel:
    settings = ProviderSettings()
    if not settings.oa_systems:
        raise _missing("oa_todo", " DUBAN_NOTIFY_OA_SYSTEMS")
    systems: dict[str, Any] = {
        name: oa_client(system, settings) for name, system in settings.oa_systems.items()
    }
    units = {name: system.units for name, system in settings.oa_systems.items()}
    return OaTodoChannel(OaDirectory(systems, units))
