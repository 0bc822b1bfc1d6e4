"""The tasks service's tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import new_metadata
from shared.messaging.tables import add_messaging_tables

metadata = new_metadata()
add_messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class Task(Base):
    __tablename__ = "task"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(36), index=True)
    number: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    units: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="assigned")
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
