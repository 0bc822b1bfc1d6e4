"""The task aggregate's tables and the states its rows move through."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
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
from sqlalchemy.orm import Mapped, mapped_column

from services.tasks.database import GOV, NAME, Base
from shared.contracts import limits


class TaskStatus(StrEnum):
    """assigned → acknowledged → in_progress → completion_requested → completed, with
    suspended beside them and withdrawn when a corrected notice drops the task."""

    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    COMPLETION_REQUESTED = "completion_requested"
    COMPLETED = "completed"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    TaskStatus.ASSIGNED: "已交办",
    TaskStatus.ACKNOWLEDGED: "已签收",
    TaskStatus.IN_PROGRESS: "推进中",
    TaskStatus.COMPLETION_REQUESTED: "申请办结",
    TaskStatus.COMPLETED: "已办结",
    TaskStatus.SUSPENDED: "已暂停",
    TaskStatus.WITHDRAWN: "已撤销",
}
# Under way: reminded, coloured, reported on.
ACTIVE = (
    TaskStatus.ASSIGNED,
    TaskStatus.ACKNOWLEDGED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.COMPLETION_REQUESTED,
)
OPEN = (*ACTIVE, TaskStatus.SUSPENDED)  # not closed: still follows the directory


class AssignmentRole(StrEnum):
    LEAD = "lead"
    RESPONSIBLE = "responsible"
    COOPERATING = "cooperating"

    @property
    def label(self) -> str:
        return {"lead": "牵头单位", "responsible": "责任单位", "cooperating": "配合单位"}[self]


ANSWERABLE = (AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE)  # reminded; count for the figure


class AssignmentStatus(StrEnum):
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    RETURNED = "returned"
    REMOVED = "removed"  # announced only: the row is gone


class MilestoneStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


_OPEN_MILESTONE = "status = 'open'"
_REMINDED = "role IN ('lead', 'responsible') AND status <> 'returned'"


class Task(Base):
    __tablename__ = "task"
    __table_args__ = (Index(None, "government_id", "status", "signal"),)

    id: Mapped[str] = mapped_column(String(limits.TASK_ID), primary_key=True)
    government_id: Mapped[str] = mapped_column(GOV)
    document_id: Mapped[str] = mapped_column(String(limits.UUID), index=True)
    number: Mapped[str] = mapped_column(String(limits.NUMBER))
    path: Mapped[list[str]] = mapped_column(JSON, default=list)
    section: Mapped[str] = mapped_column(String(limits.SECTION), default="")
    text: Mapped[str] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    leaders: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The units as the notice printed them, by role: what the directory resolves again.
    units_as_printed: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(30), default=TaskStatus.ASSIGNED)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    signal: Mapped[str] = mapped_column(String(10), default="green")
    signal_reason: Mapped[str] = mapped_column(Text, default="")
    percent_done: Mapped[int] = mapped_column(Integer, default=0)
    started_on: Mapped[date | None] = mapped_column(Date)  # 序时进度 runs from here
    exempt_reminders: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Every write of a task row moves it on (the ORM by itself, bulk writes explicitly): a
    # change decided on what was read is made only if the row is still as read.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


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
            postgresql_where=text(_REMINDED),
            sqlite_where=text(_REMINDED),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    unit: Mapped[str] = mapped_column(NAME)
    role: Mapped[str] = mapped_column(String(12))
    via_group: Mapped[str | None] = mapped_column(NAME)
    status: Mapped[str] = mapped_column(String(20), default=AssignmentStatus.ASSIGNED)
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
            postgresql_where=text(_OPEN_MILESTONE),
            sqlite_where=text(_OPEN_MILESTONE),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    phrase: Mapped[str] = mapped_column(String(limits.DEADLINE_PHRASE))
    about: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    original_due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=MilestoneStatus.OPEN)


class Indicator(Base):
    """A target of the task; ``number`` is its place among the task's targets (1, 2, …), by
    which (or by its words) a unit reports the actual figure."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    phrase: Mapped[str] = mapped_column(String(limits.TARGET_PHRASE))
    subject: Mapped[str] = mapped_column(String(limits.TARGET_SUBJECT), default="")
    comparator: Mapped[str] = mapped_column(String(2), default="=")  # ≥ ≤ = ≈
    target_value: Mapped[float] = mapped_column(Float)
    target_max: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(limits.TARGET_UNIT), default="")
    actual_value: Mapped[float | None] = mapped_column(Float)
    actual_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
