"""Reading tasks for the API: filtered lists scoped to the caller, and the full detail of one
task with its timeline. Filters are SQL over indexed columns, not Python loops."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from services.tasks.access.principal import Principal, Role
from services.tasks.audit import AuditEntry
from services.tasks.lifecycle.models import (
    Assignment,
    AssignmentRole,
    Indicator,
    Milestone,
    MilestoneStatus,
    Task,
)
from services.tasks.lifecycle.schemas import TaskDetail, TaskSummary
from services.tasks.progress.figure import UNIT_PERCENT, latest_report
from services.tasks.progress.models import ProgressReport
from services.tasks.progress.rules import PERCENT_RULE
from services.tasks.supervision.models import ExtensionRequest

ROLE_ORDER = {role: n for n, role in enumerate(AssignmentRole)}


@dataclass
class TaskFilter:
    government_id: str | None = None
    document_id: str | None = None
    section: str | None = None
    unit: str | None = None
    leader: str | None = None
    status: str | None = None
    signal: str | None = None
    due_before: date | None = None
    due_after: date | None = None
    q: str | None = None
    limit: int = 200
    offset: int = 0


def _scoped(query: Select, principal: Principal) -> Select:
    if principal.role != Role.ADMIN:
        query = query.where(Task.government_id == principal.government_id)
    if principal.unit_scope:
        mine = select(Assignment.task_id).where(Assignment.unit.in_(principal.unit_scope))
        query = query.where(Task.id.in_(mine))
    return query


def _filtered(query: Select, f: TaskFilter) -> Select:
    simple = {
        Task.government_id: f.government_id,
        Task.document_id: f.document_id,
        Task.section: f.section,
        Task.status: f.status,
        Task.signal: f.signal,
    }
    for column, value in simple.items():
        if value:
            query = query.where(column == value)
    if f.unit:
        query = query.where(
            Task.id.in_(select(Assignment.task_id).where(Assignment.unit == f.unit))
        )
    if f.due_before or f.due_after:
        due = select(Milestone.task_id).where(Milestone.status == MilestoneStatus.OPEN)
        if f.due_before:
            due = due.where(Milestone.due_date <= f.due_before)
        if f.due_after:
            due = due.where(Milestone.due_date >= f.due_after)
        query = query.where(Task.id.in_(due))
    if f.q:
        pattern = f"%{f.q}%"
        query = query.where(or_(Task.text.like(pattern), Task.number == f.q))
    return query


def list_tasks(session: Session, principal: Principal, f: TaskFilter) -> list[TaskSummary]:
    query = _filtered(_scoped(select(Task), principal), f).order_by(Task.document_id, Task.id)
    leader = principal.leader if principal.role == Role.LEADER else f.leader
    if leader:  # leaders are a JSON list: filter first, then page, or a page comes out short
        mine = [t for t in session.scalars(query) if leader in t.leaders]
        tasks = mine[f.offset : f.offset + f.limit]
    else:
        tasks = list(session.scalars(query.limit(f.limit).offset(f.offset)))
    return [_summary(session, t) for t in tasks]


def _units(session: Session, task_id: str) -> list[str]:
    rows = session.execute(
        select(Assignment.unit, Assignment.role).where(Assignment.task_id == task_id)
    ).all()
    ordered = sorted(rows, key=lambda r: ROLE_ORDER.get(r.role, 9))
    return list(dict.fromkeys(r.unit for r in ordered))


def _next_due(session: Session, task_id: str) -> date | None:
    return session.scalar(
        select(Milestone.due_date)
        .where(
            Milestone.task_id == task_id,
            Milestone.status == MilestoneStatus.OPEN,
            Milestone.due_date.is_not(None),
        )
        .order_by(Milestone.due_date)
        .limit(1)
    )


def _summary(session: Session, task: Task) -> TaskSummary:
    return TaskSummary.model_validate(task).model_copy(
        update={"units": _units(session, task.id), "next_due": _next_due(session, task.id)}
    )


def _rows(session: Session, model: type, task_id: str, order: object) -> list:
    return list(session.scalars(select(model).where(model.task_id == task_id).order_by(order)))


def _assignments(session: Session, task_id: str) -> list[dict[str, object]]:
    """The task's assignments, each with its unit's latest figure and when it was reported."""
    rows = session.execute(
        select(
            *Assignment.__table__.columns,
            UNIT_PERCENT.label("percent"),
            latest_report(ProgressReport.submitted_at).label("reported_at"),
        )
        .where(Assignment.task_id == task_id)
        .order_by(Assignment.id)
    )
    return [dict(row._mapping) for row in rows]


def task_detail(session: Session, task: Task) -> TaskDetail:
    assignments = sorted(_assignments(session, task.id), key=lambda a: ROLE_ORDER.get(a["role"], 9))
    extensions = _rows(session, ExtensionRequest, task.id, ExtensionRequest.id)
    timeline = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.task_id == task.id)
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    summary = _summary(session, task)
    return TaskDetail.model_validate(
        {
            **summary.model_dump(),
            "path": task.path,
            "percent_rule": PERCENT_RULE,
            "started_on": task.started_on,
            "status_reason": task.status_reason,
            "year": task.year,
            "revision": task.revision,
            "assignments": assignments,
            "milestones": _rows(session, Milestone, task.id, Milestone.due_date),
            "indicators": _rows(session, Indicator, task.id, Indicator.number),
            "reports": _rows(session, ProgressReport, task.id, ProgressReport.submitted_at),
            "extensions": extensions,
            "timeline": timeline,
        }
    )
