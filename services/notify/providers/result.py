"""The provider-neutral answer of every provider client, and the limits a client declares.

The channel layer (``services/notify/channels``) maps a :class:`SendResult` onto its own
delivery outcome. The four statuses:

* ``delivered``: the provider accepted the message (for SMS: accepted for sending; the
  carrier's receipt comes later, if at all);
* ``retry``: proven not accepted, and worth trying again (busy, throttled, a connection that
  never opened); ``retry_after_s`` says when, if the provider said;
* ``failed``: not accepted and trying again will not help (bad number, unknown user, wrong
  credentials, unapproved template); ``message`` tells the operator what to fix;
* ``in_doubt``: the request went out and no answer came back (a read timeout): it may or may
  not have been accepted. Whether to send again is decided with the client's
  ``safe_to_resend``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from shared.logs import mask_phone

Status = Literal["delivered", "retry", "failed", "in_doubt"]


@dataclass(frozen=True)
class SendResult:
    accepted: bool
    status: Status
    provider: str
    provider_id: str | None = None  # msgid / BizId / SerialNo / to-do id
    code: str | None = None  # the provider's errcode / Code, as a string
    message: str = ""  # Chinese, for the operator: no secrets, phone numbers masked
    retry_after_s: float | None = None
    invalid_recipients: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # Whatever a caller put in, a full phone number never reaches the operator's screen.
        object.__setattr__(self, "message", mask_phone(self.message))
        if self.accepted != (self.status == "delivered"):
            raise ValueError("accepted is True exactly when status is 'delivered'")


def delivered(
    provider: str,
    provider_id: str | None,
    message: str = "已受理",
    invalid: tuple[str, ...] = (),
) -> SendResult:
    return SendResult(
        True, "delivered", provider, provider_id, message=message, invalid_recipients=invalid
    )


def retry(
    provider: str, code: str | None, message: str, retry_after_s: float | None = None
) -> SendResult:
    return SendResult(
        False, "retry", provider, code=code, message=message, retry_after_s=retry_after_s
    )


def failed(
    provider: str, code: str | None, message: str, invalid: tuple[str, ...] = ()
) -> SendResult:
    return SendResult(
        False, "failed", provider, code=code, message=message, invalid_recipients=invalid
    )


def in_doubt(provider: str, code: str | None, message: str) -> SendResult:
    return SendResult(False, "in_doubt", provider, code=code, message=message)


@dataclass(frozen=True)
class RateLimit:
    """A limit the engine's limiter keeps for this client: at most ``limit`` sends per
    ``window_s`` seconds, counted per ``scope``: the whole channel (one app, one robot) or
    each recipient. ``note`` says whose rule it is and what the provider does past it."""

    scope: Literal["channel", "recipient"]
    limit: int
    window_s: float
    note: str = ""
