"""The notify service's tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import new_metadata
from shared.messaging.tables import add_messaging_tables

metadata = new_metadata()
add_messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class Notice(Base):
    """One message owed to one unit about one task; the dedup key is (task, unit, kind)."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("task_id", "unit", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
