"""Events published by the notify service (source ``notify``, topic ``<prefix>.notify``):
what became of each message owed, for the reporting service and the audit.

One event per delivery (a message to one contact on one channel) that reached its end:
``notification.sent`` when the provider accepted it, ``notification.failed`` when nothing
more will be tried without a person deciding (every channel failed, the unit has no contact,
or the outcome is unknown and the channel cannot be resent safely). A delivery that falls
back to another channel publishes nothing until the fallback ends.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts import limits
from shared.contracts.envelope import Event

CHANNEL = 30  # a channel's name: wecom_app, sms, oa_todo, or "-" (none)
CODE = 100  # a provider's error code, or ours
POST = 60  # a contact's post: 办公室主任, 联络员


class NotificationSentV1(Event):
    """A provider accepted the message for this recipient (for SMS: its gateway took it)."""

    TYPE: ClassVar[str] = "notification.sent"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "notify"
    KEY_FIELD: ClassVar[str] = "task_id"

    delivery_id: int = Field(ge=1)
    government_id: str = Field(max_length=limits.GOVERNMENT_ID)
    task_id: str = Field(max_length=limits.TASK_ID)
    dedup_key: str = Field(max_length=500, description="the message owed: request and recipient")
    kind: str = Field(max_length=limits.WORD, description="the reminder's kind, urge, todo_done…")
    owner_kind: Literal["unit", "leader"]
    owner: str = Field(max_length=limits.UNIT_NAME, description="the unit or the leader")
    post: str = Field("", max_length=POST, description="the contact's post")
    channel: str = Field(max_length=CHANNEL)
    provider: str = Field("", max_length=CHANNEL)
    attempts: int = Field(ge=1)
    digest_of: int | None = Field(
        None, description="the delivery whose message listed this one (a digest)"
    )
    sent_at: dt.datetime


class NotificationFailedV1(Event):
    """Nothing more will be sent for this recipient without an operator: ``outcome`` failed
    (every channel tried), skipped (no reachable contact) or in_doubt (may have been sent;
    not resent because the channel would send it twice)."""

    TYPE: ClassVar[str] = "notification.failed"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "notify"
    KEY_FIELD: ClassVar[str] = "task_id"

    delivery_id: int = Field(ge=1)
    government_id: str = Field(max_length=limits.GOVERNMENT_ID)
    task_id: str = Field(max_length=limits.TASK_ID)
    dedup_key: str = Field(max_length=500)
    kind: str = Field(max_length=limits.WORD)
    owner_kind: Literal["unit", "leader"]
    owner: str = Field(max_length=limits.UNIT_NAME)
    post: str = Field("", max_length=POST)
    channel: str = Field(max_length=CHANNEL, description='the last channel tried, "-" for none')
    outcome: Literal["failed", "skipped", "in_doubt"]
    code: str = Field("", max_length=CODE)
    reason: str = Field(max_length=limits.TEXT, description="in Chinese, for the bureau")
    attempts: int = Field(ge=0)
    failed_at: dt.datetime
