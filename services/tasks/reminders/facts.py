"""The facts the deadline scan reads, each query written once (SQLAlchemy Core, the same on
SQLite and PostgreSQL), from covering indexes (``ix_milestone_open_due``,
``ix_assignment_reminded``, the reports by round), never a loop over every task:

* the open milestones up to the horizon of active tasks that are not exempt, with the units
  they remind;
* per reporting round with a step today, the units of each task that have not reported in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, and_, cast, exists, select, true

from services.tasks.lifecycle.models import (
    ACTIVE,
    ANSWERABLE,
    Assignment,
    AssignmentStatus,
    Milestone,
    MilestoneStatus,
    Task,
)
from services.tasks.progress.models import ProgressReport
from services.tasks.registration.models import ReportingRound
from services.tasks.reminders.scope import Scope


def _remindable(query: Select[Any]) -> Select[Any]:
    return query.where(Task.status.in_(ACTIVE), Task.exempt_reminders.is_(False))


def _reminded_units() -> ColumnElement[bool]:
    return and_(Assignment.role.in_(ANSWERABLE), Assignment.status != AssignmentStatus.RETURNED)


def milestone_query(horizon: date, scope: Scope) -> Select[Any]:
    """Open milestones due up to the horizon (overdue ones included: they are reminded every
    few working days), of the tasks and due dates the scope looks at, each with the units it
    reminds (one row per unit, in the order they were assigned; none: one row, no unit), the
    task's leaders as JSON text (read only for an escalation) and when it was registered."""
    looked_at = true()
    if not scope.everything:
        looked_at = Milestone.due_date.in_(scope.moved_dues) | Milestone.task_id.in_(
            sorted(scope.marked)
        )
    return _remindable(
        select(
            Milestone.id,
            Milestone.phrase,
            Milestone.due_date,
            Task.id.label("task_id"),
            Task.government_id,
            cast(Task.leaders, Text).label("leaders"),
            Task.number,
            Task.text,
            Assignment.unit,
            Task.created_at,
        )
        .join(Task, Task.id == Milestone.task_id)
        .outerjoin(Assignment, and_(Assignment.task_id == Task.id, _reminded_units()))
        .where(Milestone.status == MilestoneStatus.OPEN, Milestone.due_date <= horizon, looked_at)
        .order_by(Milestone.id, Assignment.id)
    )


def late_units_query(rounds: Sequence[int], scope: Scope) -> Select[Any]:
    """Per round, the lead/responsible units of each remindable task of its document that
    have not reported in it (one anti-join over all the rounds), in assignment order."""
    reported = exists().where(
        ProgressReport.round_id == ReportingRound.id,
        ProgressReport.task_id == Assignment.task_id,
        ProgressReport.unit == Assignment.unit,
    )
    looked_at = true() if scope.every_round else Assignment.task_id.in_(sorted(scope.marked))
    return _remindable(
        select(
            ReportingRound.id.label("round_id"),
            Assignment.task_id,
            Assignment.unit,
            Task.government_id,
            Task.number,
            Task.text,
            Task.created_at,
        )
        .join(Task, Task.document_id == ReportingRound.document_id)
        .join(Assignment, Assignment.task_id == Task.id)
        .where(ReportingRound.id.in_(list(rounds)), _reminded_units(), ~reported, looked_at)
        .order_by(Assignment.id)
    )


def rounds_query(horizon: date, earliest: date) -> Select[Any]:
    """Reporting rounds due between ``earliest`` and the horizon."""
    return select(
        ReportingRound.id,
        ReportingRound.government_id,
        ReportingRound.period,
        ReportingRound.due_date,
    ).where(ReportingRound.due_date <= horizon, ReportingRound.due_date >= earliest)
