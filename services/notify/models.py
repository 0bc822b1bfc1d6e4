"""The notify service's tables."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Date, DateTime, Dialect, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from shared.contracts import limits
from shared.db import new_metadata
from shared.identity.credentials import add_credential_table
from shared.messaging.tables import add_messaging_tables

metadata = new_metadata()
add_messaging_tables(metadata)
add_credential_table(metadata)


class Moment(TypeDecorator[datetime]):
    """A moment in time, given back aware (UTC) on every database: SQLite keeps no zone, so
    a moment is stored there in UTC and read back as such. The sender compares deadlines and
    windows with the clock it is given; a naive value would be wrong by eight hours."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = metadata


class Notice(Base):
    """One message owed to one recipient. ``dedup_key`` (what it is about, the request's own
    key, and the recipient) is unique: a redelivered or repeated request never owes twice."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # a request's key (limits.DEDUP_KEY), "|" and a recipient (limits.UNIT_NAME), with room
    dedup_key: Mapped[str] = mapped_column(String(500), unique=True)
    task_id: Mapped[str] = mapped_column(String(limits.TASK_ID), index=True)
    government_id: Mapped[str] = mapped_column(String(limits.GOVERNMENT_ID), index=True)
    unit: Mapped[str] = mapped_column(
        String(limits.UNIT_NAME), doc="the recipient: a unit or a leader"
    )
    recipient_kind: Mapped[str] = mapped_column(String(10), default="unit")
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    task_number: Mapped[str] = mapped_column(String(limits.NUMBER), default="")
    subject: Mapped[str] = mapped_column(
        String(limits.DEADLINE_PHRASE), default="", doc="what is due: a time node, a round"
    )
    # pending: owed, its deliveries not yet planned; planned: one delivery per contact made
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
