"""Taking in what intake publishes: documents with their reporting rounds, and tasks with
their assignments, milestones and indicators. A corrected definition updates the task in
place and keeps what units already did (acknowledgements, progress, milestone states)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.directory import resolve_units
from services.tasks.models import Assignment, Document, Indicator, Milestone, ReportingRound, Task
from services.tasks.signal_updates import refresh_signal
from shared.contracts.intake import DocumentPublishedV1, TaskDefinedV1, TaskWithdrawnV1
from shared.contracts.tasks import TaskRegisteredV1
from shared.messaging.outbox import add_event

ROLES = (
    ("lead", "lead_units"),
    ("responsible", "responsible_units"),
    ("cooperating", "cooperating_units"),
)
SYSTEM = "系统（通知发布）"


def period_names(dates: list[date]) -> dict[date, str]:
    """Names of reporting rounds: quarterly sets are 2026-Q1…Q4; otherwise 6-30 is H1,
    9-30 Q3, 12-31 the year (Y), 3-31 Q1, and any other date its month."""
    quarter_ends = [d for d in dates if d.month in (3, 6, 9, 12) and d.day >= 25]
    if len(dates) >= 4 and len(quarter_ends) == len(dates):
        names: dict[date, str] = {}
        for d in sorted(dates):  # "年底前报告全年" beside a Q4 round is the year's round
            quarter = f"{d.year}-Q{d.month // 3}"
            names[d] = f"{d.year}-Y" if quarter in names.values() else quarter
        return names
    named = {(6, 30): "H1", (12, 31): "Y", (3, 31): "Q1", (9, 30): "Q3"}
    return {d: f"{d.year}-{named.get((d.month, d.day), f'{d.month:02d}')}" for d in dates}


def default_rounds(year: int) -> list[date]:
    """Quarter ends, when a notice sets no reporting dates of its own."""
    return [date(year, 3, 31), date(year, 6, 30), date(year, 9, 30), date(year, 12, 31)]


def register_document(session: Session, event: DocumentPublishedV1) -> None:
    if session.get(Document, event.document_id) is None:
        session.add(
            Document(
                id=event.document_id,
                government_id=event.government_id,
                doc_number=event.doc_number,
                title=event.title,
                year=event.year,
                issuer=event.issuer,
                supersedes=event.supersedes,
                published_at=datetime.now(UTC),
            )
        )
    dates, source = event.reporting_dates, "notice"
    if not dates and event.year:
        dates, source = default_rounds(event.year), "policy"
    known = set(
        session.scalars(
            select(ReportingRound.due_date).where(ReportingRound.document_id == event.document_id)
        )
    )
    names = period_names(sorted(set(dates)))
    for due in sorted(set(dates) - known):
        session.add(
            ReportingRound(
                government_id=event.government_id,
                document_id=event.document_id,
                period=names[due],
                due_date=due,
                source=source,
            )
        )


def define_task(session: Session, event: TaskDefinedV1) -> None:
    now = datetime.now(UTC)
    task = session.get(Task, event.task_id)
    before = None
    if task is None:
        task = Task(id=event.task_id, status="assigned", created_at=now, signal="green")
        session.add(task)
    else:
        if event.revision <= task.revision and task.text:
            return  # an older or the same definition arriving again
        before = {"text": task.text, "revision": task.revision}
    task.government_id, task.document_id = event.government_id, event.document_id
    task.number, task.path, task.text = event.number, event.path, event.text
    task.section = event.path[0] if event.path else ""
    task.year, task.leaders, task.revision, task.updated_at = (
        event.year,
        event.leaders,
        event.revision,
        now,
    )
    session.flush()
    units = _sync_assignments(session, task, event)
    _sync_milestones(session, task, event)
    _sync_indicators(session, task, event)
    audit.record(
        session,
        government_id=task.government_id,
        actor=SYSTEM,
        action="task.defined" if before is None else "task.redefined",
        entity="task",
        entity_id=task.id,
        before=before,
        after={"text": task.text, "revision": task.revision},
    )
    add_event(
        session,
        TaskRegisteredV1(
            task_id=task.id,
            document_id=task.document_id,
            number=task.number,
            text=task.text,
            units=units,
            status=task.status,
            government_id=task.government_id,
            section=task.section,
            leaders=task.leaders,
            lead_units=[a.unit for a in task_assignments(session, task.id) if a.role == "lead"],
            due_dates=[m.due_date for m in task_milestones(session, task.id) if m.due_date],
            revision=task.revision,
        ),
    )
    session.flush()
    refresh_signal(session, task)  # after it is defined and announced


def task_assignments(session: Session, task_id: str) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment).where(Assignment.task_id == task_id).order_by(Assignment.id)
        )
    )


def task_milestones(session: Session, task_id: str) -> list[Milestone]:
    return list(
        session.scalars(
            select(Milestone)
            .where(Milestone.task_id == task_id)
            .order_by(Milestone.due_date, Milestone.id)
        )
    )


def _sync_assignments(session: Session, task: Task, event: TaskDefinedV1) -> list[str]:
    wanted: dict[tuple[str, str], str | None] = {}
    for role, field in ROLES:
        for resolved in resolve_units(session, task.government_id, getattr(event, field)):
            wanted.setdefault((resolved.name, role), resolved.via_group)
    existing = {(a.unit, a.role): a for a in task_assignments(session, task.id)}
    for key, assignment in existing.items():
        if key not in wanted:
            session.delete(assignment)
    for (unit, role), via_group in wanted.items():
        if (unit, role) not in existing:
            session.add(
                Assignment(
                    task_id=task.id,
                    unit=unit,
                    role=role,
                    via_group=via_group,
                    status="assigned",
                    updated_at=task.updated_at,
                )
            )
    return list(dict.fromkeys(unit for unit, _ in wanted))


def _sync_milestones(session: Session, task: Task, event: TaskDefinedV1) -> None:
    existing = {m.phrase: m for m in task_milestones(session, task.id)}
    for deadline in event.deadlines:
        milestone = existing.pop(deadline.phrase, None)
        if milestone is None:
            session.add(
                Milestone(
                    task_id=task.id,
                    phrase=deadline.phrase,
                    about=deadline.about,
                    due_date=deadline.date,
                    original_due_date=deadline.date,
                )
            )
        elif milestone.original_due_date != deadline.date:
            milestone.due_date = milestone.original_due_date = deadline.date
    for stale in existing.values():
        if stale.status == "open":
            session.delete(stale)


def _sync_indicators(session: Session, task: Task, event: TaskDefinedV1) -> None:
    session.execute(
        delete(Indicator).where(Indicator.task_id == task.id, Indicator.actual_value.is_(None))
    )
    kept = {
        i.phrase for i in session.scalars(select(Indicator).where(Indicator.task_id == task.id))
    }
    for target in event.targets:
        if target.phrase not in kept:
            session.add(
                Indicator(
                    task_id=task.id,
                    phrase=target.phrase,
                    subject=target.subject,
                    comparator=target.comparator,
                    target_value=target.value,
                    target_max=target.value_max,
                    unit=target.unit,
                )
            )


def withdraw_task(session: Session, event: TaskWithdrawnV1) -> None:
    task = session.get(Task, event.task_id)
    if task is None or task.status == "withdrawn":
        return
    audit.record(
        session,
        government_id=task.government_id,
        actor=SYSTEM,
        action="task.withdrawn",
        entity="task",
        entity_id=task.id,
        before={"status": task.status},
        after={"status": "withdrawn"},
    )
    task.status, task.status_reason = "withdrawn", event.reason
