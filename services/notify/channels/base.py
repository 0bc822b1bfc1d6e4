"""The one small interface every channel implements, and the values it exchanges with the
sender. A channel knows its provider's protocol; the sender knows everything else (who, when,
how often, what to do on each outcome), so a channel's ``send`` is one call and one answer.

A channel never decides to try again, to fall back or to wait: it says what happened
(``Outcome``) and the sender decides, by the rules every channel shares (docs/notify.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from shared.logs import mask_phone

# Which contact field a channel sends to; "none": the channel needs no personal address
# (a group robot posts to its group, mentioning the person by mobile when it has one).
Address = Literal["wecom_userid", "mobile", "oa_account", "none"]


class Status(StrEnum):
    DELIVERED = "delivered"  # the provider accepted it (SMS: the gateway took it)
    RETRY = "retry"  # did not go, may go later: timeout before sending, 5xx, -1, 45009, 限流
    FAILED = "failed"  # will never go this way: invalid user, bad number, template rejected
    IN_DOUBT = "in_doubt"  # may have gone: a timeout after the request was sent


@dataclass(frozen=True, slots=True)
class Recipient:
    contact_id: int
    owner_kind: str  # unit or leader
    owner: str  # the unit's or the leader's name
    post: str  # 办公室主任, 联络员, 本人
    name: str
    wecom_userid: str | None = None
    mobile: str | None = None  # 11 digits
    oa_account: str | None = None

    def __repr__(self) -> str:  # a message in a log or a traceback never shows a number
        return mask_phone(
            f"Recipient({self.owner}/{self.post}/{self.name}, wecom={self.wecom_userid}, "
            f"mobile={self.mobile})"
        )


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to one recipient on one channel.

    ``key`` is unique per message and stable across attempts: pass it to the provider as its
    idempotency key where it has one (SMS ``OutId``/``SessionContext``, the OA to-do's flow
    id, a WeCom ``duplicate_check``). ``covers`` lists the deliveries this message carries:
    one, or several when it is a digest (``kind`` "digest") listing several tasks."""

    delivery_id: int
    key: str
    channel: str
    recipient: Recipient
    kind: str  # before_due, due_today, overdue, report_due, report_missing, escalation,
    # circular, urge, task_assigned, digest, todo_done
    title: str
    body: str
    link: str  # where to submit progress: <portal>/tasks/tasks/<task id>
    params: Mapping[str, str]  # named values for provider templates (SMS), see docs/notify.md
    urgent: bool
    government_id: str
    task_id: str
    attempt: int  # 1 for the first hand-over of this delivery
    covers: tuple[int, ...] = ()
    refers_to: int | None = None  # todo_done: the delivery (and so the key) of the to-do

    def __repr__(self) -> str:
        return f"Outgoing(#{self.delivery_id} {self.channel} {self.kind} to {self.recipient!r})"


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Status
    provider: str = ""  # which provider answered (aliyun, tencent, wecom…)
    provider_id: str | None = None  # its message id: BizId, SerialNo, msgid
    code: str = ""  # its error code, as given (errcode 81013, isv.MOBILE_NUMBER_ILLEGAL)
    message: str = ""  # in Chinese, for the bureau
    retry_after_s: float | None = None  # the provider asked to wait at least this long
    invalid_recipient: bool = False  # the address itself is wrong (WeCom invaliduser)

    @classmethod
    def delivered(cls, provider: str = "", provider_id: str | None = None) -> Outcome:
        return cls(Status.DELIVERED, provider, provider_id)

    @classmethod
    def retry(
        cls, code: str, message: str, provider: str = "", retry_after_s: float | None = None
    ) -> Outcome:
        return cls(Status.RETRY, provider, None, code, message, retry_after_s)

    @classmethod
    def failed(
        cls, code: str, message: str, provider: str = "", invalid_recipient: bool = False
    ) -> Outcome:
        return cls(Status.FAILED, provider, None, code, message, None, invalid_recipient)

    @classmethod
    def in_doubt(cls, code: str, message: str, provider: str = "") -> Outcome:
        return cls(Status.IN_DOUBT, provider, None, code, message)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``count`` messages in any ``window_s`` seconds: on the whole channel, or to
    each recipient address (``per_recipient``). The sender defers what would exceed it."""

    count: int
    window_s: float
    per_recipient: bool = False


@runtime_checkable
class Channel(Protocol):
    """A way to reach people. Class attributes describe it to the sender:

    * ``name``: as in ``DUBAN_NOTIFY_CHANNELS`` and in a contact's preferences;
    * ``address``: the contact field it sends to (a contact without it is not reachable);
    * ``safe_to_resend``: a second hand-over of the same ``Outgoing.key`` cannot reach the
      person twice (the provider deduplicates: WeCom app with ``enable_duplicate_check``, an
      OA to-do keyed by our id). False for SMS: an in-doubt SMS is never sent again;
    * ``quiet_hours``: deferred at night unless urgent (SMS, robot);
    * ``digest``: reminders beyond K a day are merged into one message (app, SMS, robot);
    * ``limits``: the provider's rate limits, which the sender keeps below.

    ``send`` is called from a worker thread, several at once: it must be thread-safe, set
    timeouts on every request, never raise for a provider's answer (an exception is taken as
    ``in_doubt``), and never log a secret or a full phone number."""

    name: str
    address: Address
    safe_to_resend: bool
    quiet_hours: bool
    digest: bool
    limits: Sequence[RateLimit]

    def send(self, message: Outgoing) -> Outcome: ...


class Checks(Protocol):
    """Optional: a channel that can ask its provider what became of a message (SMS receipts,
    ``QuerySendDetails`` by ``OutId``). The sender asks before declaring a message of a dead
    sender in doubt; None means the provider does not know either."""

    def check(self, message: Outgoing) -> Outcome | None: ...


@dataclass
class ChannelInfo:
    """What the sender knows of a channel without calling it (for the API and docs)."""

    name: str
    address: Address
    safe_to_resend: bool
    quiet_hours: bool
    digest: bool
    limits: list[RateLimit] = field(default_factory=list)

    @classmethod
    def of(cls, channel: Channel) -> ChannelInfo:
        return cls(
            channel.name,
            channel.address,
            channel.safe_to_resend,
            channel.quiet_hours,
            channel.digest,
            list(channel.limits),
        )
