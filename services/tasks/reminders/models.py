"""The reminder tables: the requests asked, each government's policy, and the scan's own
bookkeeping (who runs it, where it got to, what changed since)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.tasks.database import GOV, Base


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


class ReminderPolicyRow(Base):
    """A government's reminder and escalation policy; governments without a row use the
    defaults of ``policy.ReminderPolicy``."""

    __tablename__ = "reminder_policy"

    government_id: Mapped[str] = mapped_column(GOV, primary_key=True)
    before_due: Mapped[list[int]] = mapped_column(JSON)
    overdue_every: Mapped[int] = mapped_column(Integer)
    report_before: Mapped[int] = mapped_column(Integer)
    escalate_to_leader_after: Mapped[int] = mapped_column(Integer)
    circular_after: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SchedulerLease(Base):
    """Who runs the scheduler: the holder renews before ``expires_at``; another replica takes
    over only after it lapsed. Works the same on SQLite and PostgreSQL."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScanMark(Base):
    """A task the deadline scan must look at whatever the date, because something it reads
    about the task changed since the scan last ran; "*" asks for everything. Written by the
    triggers the scan's inputs declare (``inputs``), so no write path can forget it.
    Append-only: a writer never waits for the scan, which takes (deletes) the marks it sees."""

    __tablename__ = "scan_mark"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    task_id: Mapped[str] = mapped_column(String(80))


class ScanState(Base):
    """The day of the last deadline scan and the rules it ran under: everything due then was
    asked; since, only the calendar and what ``scan_mark`` lists can make a new reminder due,
    unless the rules themselves changed (another release: ``fingerprint``)."""

    __tablename__ = "scan_state"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    fingerprint: Mapped[str] = mapped_column(String(64), default="", server_default="")
