"""The reporting service's tables: read models built from events only, and the journal of
the events they were built from (so that they can be dropped and rebuilt, ``replay.py``).

Dates the views compare in SQL are also kept as day numbers (``date.toordinal()``): the same
integer arithmetic on SQLite and PostgreSQL, so the overview and the ranking are one query
on either."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.contracts import limits
from shared.db import new_metadata
from shared.identity.credentials import add_credential_table
from shared.messaging.tables import add_messaging_tables

metadata = new_metadata()
add_messaging_tables(metadata)
add_credential_table(metadata)

UNIT = String(limits.UNIT_NAME)
GOV = String(limits.GOVERNMENT_ID)
TASK = String(limits.TASK_ID)
_SEQ = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = metadata


class TaskView(Base):
    """One row per registered task: what the ledger prints and the views count."""

    __tablename__ = "task_view"
    __table_args__ = (Index(None, "government_id", "document_id"),)

    task_id: Mapped[str] = mapped_column(TASK, primary_key=True)
    document_id: Mapped[str] = mapped_column(String(limits.UUID), index=True)
    number: Mapped[str] = mapped_column(String(limits.NUMBER))
    text: Mapped[str] = mapped_column(Text)
    units: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(limits.WORD))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    government_id: Mapped[str] = mapped_column(GOV, default="default")
    signal: Mapped[str] = mapped_column(String(10), default="green")  # red, yellow, green
    signal_reason: Mapped[str] = mapped_column(Text, default="")
    percent: Mapped[int] = mapped_column(Integer, default=0)  # the tasks service's figure
    last_report_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # added by 0005
    section: Mapped[str] = mapped_column(String(limits.SECTION), default="")
    leaders: Mapped[list[str]] = mapped_column(JSON, default=list)
    lead_units: Mapped[list[str]] = mapped_column(JSON, default=list)
    responsible_units: Mapped[list[str]] = mapped_column(JSON, default=list)
    cooperating_units: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"phrase": "6月底前", "due": "2022-06-30"}], due dates as moved by rescheduling
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    year: Mapped[int | None] = mapped_column(Integer)
    registered_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    start_day: Mapped[int] = mapped_column(Integer, default=0)  # 序时进度 runs from here
    end_day: Mapped[int] = mapped_column(Integer, default=0)  # … to here
    first_due_day: Mapped[int | None] = mapped_column(Integer)  # earliest deadline
    deadline_day: Mapped[int] = mapped_column(Integer, default=0)  # latest, or the year's end
    completed_day: Mapped[int | None] = mapped_column(Integer)


class DocumentView(Base):
    """A published notice: its 文号, title, year, date and reporting rounds."""

    __tablename__ = "report_document"

    document_id: Mapped[str] = mapped_column(String(limits.UUID), primary_key=True)
    government_id: Mapped[str] = mapped_column(GOV)
    title: Mapped[str] = mapped_column(String(limits.TITLE), default="")
    doc_number: Mapped[str | None] = mapped_column(String(limits.DOC_NUMBER))
    issuer: Mapped[str | None] = mapped_column(String(limits.ISSUER))
    year: Mapped[int | None] = mapped_column(Integer)
    issued_date: Mapped[date | None] = mapped_column(Date)


class RoundView(Base):
    """A reporting round of a document (报送进展): 2022-Q3 due 2022-09-30."""

    __tablename__ = "report_round"

    document_id: Mapped[str] = mapped_column(String(limits.UUID), primary_key=True)
    period: Mapped[str] = mapped_column(String(limits.PERIOD), primary_key=True)
    due_date: Mapped[date] = mapped_column(Date)
    due_day: Mapped[int] = mapped_column(Integer)
    # added by 0006: the round's place among its document's, 1 for the earliest
    seq: Mapped[int] = mapped_column(Integer, default=0)


class Definition(Base):
    """What intake's task.defined says and task.registered does not: the deadlines' words and
    the targets. It may arrive before or after the registration (another topic)."""

    __tablename__ = "report_definition"

    task_id: Mapped[str] = mapped_column(TASK, primary_key=True)
    path: Mapped[list[str]] = mapped_column(JSON, default=list)
    deadlines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=1)


class IndicatorView(Base):
    """A target (量化目标) of a task and the latest actual figure a unit reported for it."""

    __tablename__ = "report_indicator"

    task_id: Mapped[str] = mapped_column(TASK, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    phrase: Mapped[str] = mapped_column(String(limits.TARGET_PHRASE))
    subject: Mapped[str] = mapped_column(String(limits.TARGET_SUBJECT), default="")
    comparator: Mapped[str] = mapped_column(String(2), default="=")
    target: Mapped[float] = mapped_column(Float)
    target_max: Mapped[float | None] = mapped_column(Float)
    measure: Mapped[str] = mapped_column(String(limits.TARGET_UNIT), default="")
    actual: Mapped[float | None] = mapped_column(Float)
    actual_unit: Mapped[str | None] = mapped_column(UNIT)
    actual_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AssignmentView(Base):
    """A unit's share of a task and its latest report: the figure, the words, the date."""

    __tablename__ = "report_assignment"
    __table_args__ = (Index(None, "government_id", "unit"),)

    task_id: Mapped[str] = mapped_column(TASK, primary_key=True)
    unit: Mapped[str] = mapped_column(UNIT, primary_key=True)
    government_id: Mapped[str] = mapped_column(GOV)
    role: Mapped[str] = mapped_column(String(limits.WORD))  # lead, responsible, cooperating
    status: Mapped[str] = mapped_column(String(limits.WORD), default="assigned")
    percent: Mapped[int | None] = mapped_column(Integer)  # None: never reported
    words: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    last_report_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reports: Mapped[int] = mapped_column(Integer, default=0)
    # added by 0006: the rounds of the task's document this unit reported in, one character a
    # round in ``RoundView.seq`` order, "1" reported ("0110": the second and third). Kept
    # from ``UnitRound`` by the handlers (``handlers.refresh_reported``), so that a view asks
    # ``substr(rounds, seq, 1)`` of the share it reads instead of joining ``UnitRound``.
    rounds: Mapped[str] = mapped_column(String(limits.ITEMS), default="")


class UnitRound(Base):
    """That a unit reported on a task in a round (the missing-reports list is its absence)."""

    __tablename__ = "report_unit_round"

    task_id: Mapped[str] = mapped_column(TASK, primary_key=True)
    unit: Mapped[str] = mapped_column(UNIT, primary_key=True)
    period: Mapped[str] = mapped_column(String(limits.PERIOD), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TimelineEntry(Base):
    """One line of a task's timeline: defined, registered, reports, reviews, urges,
    escalations, colours, messages sent or failed."""

    __tablename__ = "report_timeline"
    __table_args__ = (Index(None, "task_id", "at"),)

    id: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(TASK)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str | None] = mapped_column(UNIT)


class JournalEntry(Base):
    """Every event the views were built from, as it arrived: replaying it into empty views
    gives the same views (``replay.py``)."""

    __tablename__ = "report_journal"

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    envelope: Mapped[bytes] = mapped_column(LargeBinary)


class RankingRule(Base):
    """A government's scoring rule for the unit ranking (``rules.ScoringRule``)."""

    __tablename__ = "report_ranking_rule"

    government_id: Mapped[str] = mapped_column(GOV, primary_key=True)
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(limits.ACTOR))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DigestSent(Base):
    """A leader's digest requested for a day: at most one per government, leader and day."""

    __tablename__ = "report_digest"

    dedup_key: Mapped[str] = mapped_column(String(limits.DEDUP_KEY), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


VIEW_TABLES = (
    TaskView,
    DocumentView,
    RoundView,
    Definition,
    IndicatorView,
    AssignmentView,
    UnitRound,
    TimelineEntry,
)
