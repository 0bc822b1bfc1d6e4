"""Intake's tables: documents and the draft tasks read from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import new_metadata
from shared.messaging.tables import add_messaging_tables

metadata = new_metadata()
add_messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class Document(Base):
    __tablename__ = "document"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    doc_number: Mapped[str | None] = mapped_column(String(100))
    year: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DraftTask(Base):
    __tablename__ = "draft_task"
    __table_args__ = (UniqueConstraint("document_id", "position"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(40))
    path: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text)
    leaders: Mapped[list[str]] = mapped_column(JSON, default=list)
    lead_units: Mapped[list[str]] = mapped_column(JSON, default=list)
    responsible_units: Mapped[list[str]] = mapped_column(JSON, default=list)
    cooperating_units: Mapped[list[str]] = mapped_column(JSON, default=list)
    deadlines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
