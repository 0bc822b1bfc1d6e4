"""Intake's tables: documents (with what was read from them) and their draft tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
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


class Document(Base):
    """A notice as received. ``sha256`` makes a re-upload of the same bytes the same document;
    ``supersedes_id`` links a corrected notice to the published one it replaces."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("government_id", "sha256"),)

    id: Mapped[str] = mapped_column(String(limits.UUID), primary_key=True)
    government_id: Mapped[str] = mapped_column(String(limits.GOVERNMENT_ID), default="default")
    title: Mapped[str] = mapped_column(String(limits.TITLE))
    doc_number: Mapped[str | None] = mapped_column(String(limits.DOC_NUMBER))
    year: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sha256: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(300))
    format: Mapped[str | None] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(20), default="api")
    kind: Mapped[str] = mapped_column(String(20), default="notice")
    issuer: Mapped[str | None] = mapped_column(String(limits.ISSUER))
    issued_date: Mapped[date | None] = mapped_column(Date)
    recipients: Mapped[str | None] = mapped_column(Text)
    reporting_requirements: Mapped[list[str]] = mapped_column(JSON, default=list)
    reporting_rounds: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    supersedes_id: Mapped[str | None] = mapped_column(String(limits.UUID))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(limits.ACTOR))  # a token's name
    published_by: Mapped[str | None] = mapped_column(String(limits.ACTOR))
    discarded_by: Mapped[str | None] = mapped_column(String(limits.ACTOR))
    discarded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    text: Mapped[str | None] = mapped_column(Text, doc="the text read from the file, as read")


class DraftTask(Base):
    """One task of a document as the reviewer will publish it. ``task_id`` is the task's
    lasting identity: a corrected notice reuses the ids of the tasks it corrects."""

    __tablename__ = "draft_task"
    __table_args__ = (UniqueConstraint("document_id", "position"),)

    id: Mapped[str] = mapped_column(String(limits.TASK_ID), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    task_id: Mapped[str] = mapped_column(String(limits.TASK_ID))
    number: Mapped[str] = mapped_column(String(limits.NUMBER))
    path: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text)
    leaders: Mapped[list[str]] = mapped_column(JSON, default=list)
    lead_units: Mapped[list[str]] = mapped_column(JSON, default=list)
    responsible_units: Mapped[list[str]] = mapped_column(JSON, default=list)
    cooperating_units: Mapped[list[str]] = mapped_column(JSON, default=list)
    deadlines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    units: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class DirectoryUnit(Base):
    """Intake's copy of each government's unit directory, kept from the tasks service's
    ``directory.unit_changed`` events, to check the units a notice names."""

    __tablename__ = "directory_unit"

    government_id: Mapped[str] = mapped_column(String(limits.GOVERNMENT_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(limits.UNIT_NAME), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="unit")  # unit or group
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    members: Mapped[list[str]] = mapped_column(JSON, default=list)


class OaReceipt(Base):
    """The answer given to a signed OA push, kept under its signature (hashed) until the
    push's window has passed: a replay gets the same answer, never a second document."""

    __tablename__ = "oa_receipt"

    signature_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[str] = mapped_column(String(limits.UUID))
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)  # Unix seconds
