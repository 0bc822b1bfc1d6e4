"""The ``delivery`` and ``delivery_attempt`` tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.notify.contacts.models import PERSON, POST
from services.notify.models import Base, Moment
from shared.contracts import limits

CHANNEL = 30
CODE = 100
PROVIDER_ID = 100

# statuses: waiting to be sent; handed to a channel; the ends; "deferred" is waiting for
# quiet hours or a rate limit to pass (sent by the same rule as "pending")
PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"
DEFERRED, IN_DOUBT, SKIPPED = "deferred", "in_doubt", "skipped"
DUE = (PENDING, DEFERRED)
FINAL = (DELIVERED, FAILED, IN_DOUBT, SKIPPED)


class Delivery(Base):
    """One message owed to one contact on one channel. ``(dedup_key, recipient_key,
    channel)`` is unique: however often a request arrives, a sender restarts or replicas race,
    there is one row, and a row is handed to its channel only through the claim that moves it
    to ``sending`` (``delivery.sender``). A fallback to another channel is a new row."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("dedup_key", "recipient_key", "channel"),
        Index("ix_delivery_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_delivery_government_id_task_id", "government_id", "task_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(Integer, index=True)
    government_id: Mapped[str] = mapped_column(String(limits.GOVERNMENT_ID))
    task_id: Mapped[str] = mapped_column(String(limits.TASK_ID))
    dedup_key: Mapped[str] = mapped_column(String(500), doc="the notice's key (or todo_done's)")
    recipient_key: Mapped[str] = mapped_column(String(40), doc='"c<contact id>", "-" for none')
    contact_id: Mapped[int | None] = mapped_column(Integer)
    owner_kind: Mapped[str] = mapped_column(String(10))
    owner: Mapped[str] = mapped_column(String(limits.UNIT_NAME), index=True)
    post: Mapped[str] = mapped_column(String(POST), default="")
    recipient_name: Mapped[str] = mapped_column(String(PERSON), default="")
    channel: Mapped[str] = mapped_column(String(CHANNEL))
    kind: Mapped[str] = mapped_column(String(limits.WORD))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(Moment)
    deadline: Mapped[datetime] = mapped_column(Moment)
    claim: Mapped[str | None] = mapped_column(String(36), doc="the sender pass that holds it")
    claimed_at: Mapped[datetime | None] = mapped_column(Moment)
    provider: Mapped[str] = mapped_column(String(CHANNEL), default="")
    provider_id: Mapped[str | None] = mapped_column(String(PROVIDER_ID))
    last_code: Mapped[str] = mapped_column(String(CODE), default="")
    last_message: Mapped[str] = mapped_column(Text, default="")
    previous_id: Mapped[int | None] = mapped_column(Integer, doc="the channel this fell back from")
    refers_to: Mapped[int | None] = mapped_column(Integer, doc="todo_done: the to-do's delivery")
    digest_of: Mapped[int | None] = mapped_column(Integer, doc="the delivery whose message it rode")
    body: Mapped[str] = mapped_column(Text, default="", doc="the text as handed to the channel")
    created_at: Mapped[datetime] = mapped_column(Moment)
    updated_at: Mapped[datetime] = mapped_column(Moment)


class DeliveryAttempt(Base):
    """Every hand-over to a channel and what came back, written as ``sending`` *before* the
    call: a crash leaves a visible attempt of unknown outcome, never a silent resend.
    ``rate_key`` (a hash of the address) is what the rate limiter and the digest count."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (
        Index(
            "ix_delivery_attempt_channel_rate_key_started_at", "channel", "rate_key", "started_at"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(CHANNEL))
    rate_key: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(80), default="", doc="masked: 139****5678")
    provider: Mapped[str] = mapped_column(String(CHANNEL), default="")
    provider_id: Mapped[str | None] = mapped_column(String(PROVIDER_ID))
    outcome: Mapped[str] = mapped_column(
        String(12), doc="sending, delivered, retry, failed, in_doubt; merged: rode a digest"
    )
    code: Mapped[str] = mapped_column(String(CODE), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(Moment)
    finished_at: Mapped[datetime | None] = mapped_column(Moment)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str | None] = mapped_column(String(limits.ACTOR), doc="an operator's resend")
