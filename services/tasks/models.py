"""The tasks service's tables. Every row carries its ``government_id``: several governments
share one deployment and never see each other's data."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import new_metadata
from shared.messaging.tables import add_messaging_tables

metadata = new_metadata()
add_messaging_tables(metadata)

GOV = String(64)
NAME = String(200)
OPEN = "status = 'open'"  # a milestone not yet done
REMINDED = "role IN ('lead', 'responsible') AND status <> 'returned'"  # units the scan reminds


class Base(DeclarativeBase):
    metadata = metadata


class Unit(Base):
    """A unit of the org directory, or a named group of units (kind ``group``)."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("government_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    government_id: Mapped[str] = mapped_column(GOV)
    name: Mapped[str] = mapped_column(NAME)
    kind: Mapped[str] = mapped_column(String(10), default="unit")
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    members: Mapped[list[str]] = mapped_column(JSON, default=list)


class Leader(Base):
    __tablename__ = "leader"
    __table_args__ = (UniqueConstraint("government_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    government_id: Mapped[str] = mapped_column(GOV)
    name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(100), default="")


class Document(Base):
    __tablename__ = "document"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    government_id: Mapped[str] = mapped_column(GOV, index=True)
    doc_number: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int | None] = mapped_column(Integer)
    issuer: Mapped[str | None] = mapped_column(String(200))
    supersedes: Mapped[str | None] = mapped_column(String(36))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Task(Base):
    __tablename__ = "task"
    __table_args__ = (Index(None, "government_id", "status", "signal"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    government_id: Mapped[str] = mapped_column(GOV)
    document_id: Mapped[str] = mapped_column(String(36), index=True)
    number: Mapped[str] = mapped_column(String(40))
    path: Mapped[list[str]] = mapped_column(JSON, default=list)
    section: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    leaders: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(30), default="assigned")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    signal: Mapped[str] = mapped_column(String(10), default="green")
    signal_reason: Mapped[str] = mapped_column(Text, default="")
    percent_done: Mapped[int] = mapped_column(Integer, default=0)
    exempt_reminders: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Assignment(Base):
    """A unit's share of a task. ``via_group`` names the group it was expanded from."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("task_id", "unit", "role"),
        Index(None, "unit", "status"),
        # the units the deadline scan reminds, read from the index alone on PostgreSQL
        Index(
            "ix_assignment_reminded",
            "task_id",
            "id",
            postgresql_include=["unit"],
            postgresql_where=text(REMINDED),
            sqlite_where=text(REMINDED),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    unit: Mapped[str] = mapped_column(NAME)
    role: Mapped[str] = mapped_column(String(12))
    via_group: Mapped[str | None] = mapped_column(NAME)
    status: Mapped[str] = mapped_column(String(20), default="assigned")
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Milestone(Base):
    __tablename__ = "milestone"
    __table_args__ = (
        Index(None, "status", "due_date"),
        # the deadline scan's candidates and their phrases, from the index alone on PostgreSQL
        Index(
            "ix_milestone_open_due",
            "due_date",
            postgresql_include=["task_id", "id", "phrase"],
            postgresql_where=text(OPEN),
            sqlite_where=text(OPEN),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    phrase: Mapped[str] = mapped_column(String(200))
    about: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    original_due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open")


class Indicator(Base):
    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    phrase: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(200), default="")
    comparator: Mapped[str] = mapped_column(String(2), default="=")
    target_value: Mapped[float] = mapped_column(Float)
    target_max: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20), default="")
    actual_value: Mapped[float | None] = mapped_column(Float)
    actual_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReportingRound(Base):
    __tablename__ = "reporting_round"
    __table_args__ = (UniqueConstraint("document_id", "due_date"), Index(None, "due_date"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    government_id: Mapped[str] = mapped_column(GOV)
    document_id: Mapped[str] = mapped_column(String(36))
    period: Mapped[str] = mapped_column(String(20))
    due_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(10), default="notice")


class ProgressReport(Base):
    __tablename__ = "progress_report"
    __table_args__ = (
        Index(None, "task_id", "unit", "submitted_at"),
        Index(None, "round_id", "task_id", "unit"),  # who reported in a round (the scan)
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(NAME)
    round_id: Mapped[int | None] = mapped_column(Integer)
    done: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    support_needed: Mapped[str] = mapped_column(Text, default="")
    percent: Mapped[int] = mapped_column(Integer, default=0)
    indicator_actuals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class ExtensionRequest(Base):
    __tablename__ = "extension_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestone.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(NAME)
    requested_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Urge(Base):
    """A 催办 by the bureau, or an escalation by policy (``kind``)."""

    __tablename__ = "urge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="urge")
    unit: Mapped[str | None] = mapped_column(NAME)
    message: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Append-only: who changed what, when, from what to what."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index(None, "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    government_id: Mapped[str] = mapped_column(GOV, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    task_id: Mapped[str | None] = mapped_column(String(80), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """Tokens are stored as SHA-256 hashes; the plain token is shown once, when issued."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    government_id: Mapped[str | None] = mapped_column(GOV)
    unit: Mapped[str | None] = mapped_column(NAME)
    leader: Mapped[str | None] = mapped_column(String(50))
    units: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HolidayOverride(Base):
    """The administrator's holiday table (法定节假日 / 调休), loaded from the State Council
    notice; it wins over the library's data and covers years the library does not know."""

    __tablename__ = "holiday_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(100), default="")


class HolidayYear(Base):
    """A year whose whole national schedule the administrator imported: only then is the
    year "known"; a lone local override does not hide a missing notice."""

    __tablename__ = "holiday_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(20))
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReminderRequest(Base):
    """One reminder asked of notify. The key says what, whom, which due date and which step,
    so a restart, a second replica or a replay never asks twice."""

    __tablename__ = "reminder_request"

    dedup_key: Mapped[str] = mapped_column(String(400), primary_key=True)
    government_id: Mapped[str] = mapped_column(GOV)
    task_id: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    step: Mapped[str] = mapped_column(String(10))
    due_date: Mapped[date] = mapped_column(Date)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SchedulerLease(Base):
    """Who runs the scheduler: the holder renews before ``expires_at``; another replica takes
    over only after it lapsed. Works the same on SQLite and PostgreSQL."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReminderPolicyRow(Base):
    """A government's reminder and escalation policy; governments without a row use the
    defaults of ``reminders.ReminderPolicy``."""

    __tablename__ = "reminder_policy"

    government_id: Mapped[str] = mapped_column(GOV, primary_key=True)
    before_due: Mapped[list[int]] = mapped_column(JSON)
    overdue_every: Mapped[int] = mapped_column(Integer)
    report_before: Mapped[int] = mapped_column(Integer)
    escalate_to_leader_after: Mapped[int] = mapped_column(Integer)
    circular_after: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScanMark(Base):
    """A task the deadline scan on PostgreSQL must look at whatever the date: one of its
    milestones, units, progress reports (task, unit, round), or its status, exemption,
    leaders, government or document changed since the scan last ran. Written by triggers
    (migration tasks_0005), so no write path can forget it; "*" asks for everything (a
    policy, the holidays, the rounds or the reminders already asked changed). Append-only:
    a writer never waits for the scan, which takes (deletes) the marks it sees."""

    __tablename__ = "scan_mark"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    task_id: Mapped[str] = mapped_column(String(80))


class ScanState(Base):
    """The day of the last deadline scan on PostgreSQL: everything due then was asked; since,
    only the calendar and what ``scan_mark`` lists can make a new reminder due."""

    __tablename__ = "scan_state"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
