"""Published documents and their reporting rounds."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.tasks.database import GOV, Base
from shared.contracts import limits


class Document(Base):
    __tablename__ = "document"

    id: Mapped[str] = mapped_column(String(limits.UUID), primary_key=True)
    government_id: Mapped[str] = mapped_column(GOV, index=True)
    doc_number: Mapped[str | None] = mapped_column(String(limits.DOC_NUMBER))
    title: Mapped[str] = mapped_column(String(limits.TITLE))
    year: Mapped[int | None] = mapped_column(Integer)
    issuer: Mapped[str | None] = mapped_column(String(limits.ISSUER))
    issued_date: Mapped[date | None] = mapped_column(Date)  # 成文日期
    supersedes: Mapped[str | None] = mapped_column(String(limits.UUID))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RoundSource(StrEnum):
    NOTICE = "notice"  # the notice set the dates
    POLICY = "policy"  # quarter ends, when it set none


class ReportingRound(Base):
    __tablename__ = "reporting_round"
    __table_args__ = (UniqueConstraint("document_id", "due_date"), Index(None, "due_date"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    government_id: Mapped[str] = mapped_column(GOV)
    document_id: Mapped[str] = mapped_column(String(limits.UUID))
    period: Mapped[str] = mapped_column(String(limits.PERIOD))
    due_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(10), default=RoundSource.NOTICE)
