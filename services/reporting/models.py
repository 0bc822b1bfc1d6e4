"""The reporting service's tables: read models built from events only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.contracts import limits
from shared.db import new_metadata
from shared.identity.credentials import add_credential_table
from shared.messaging.tables import add_messaging_tables

metadata = new_metadata()
add_messaging_tables(metadata)
add_credential_table(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class TaskView(Base):
    __tablename__ = "task_view"

    task_id: Mapped[str] = mapped_column(String(limits.TASK_ID), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(limits.UUID), index=True)
    number: Mapped[str] = mapped_column(String(limits.NUMBER))
    text: Mapped[str] = mapped_column(Text)
    units: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(limits.WORD))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    government_id: Mapped[str] = mapped_column(String(limits.GOVERNMENT_ID), default="default")
    signal: Mapped[str] = mapped_column(String(10), default="green")  # red, yellow, green
    signal_reason: Mapped[str] = mapped_column(Text, default="")
    percent: Mapped[int] = mapped_column(Integer, default=0)
    last_report_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
