"""Registering what intake publishes. A corrected definition updates the task in place and
keeps what units already did (acknowledgements, progress, milestone states). A task keeps its
units as the notice printed them, so a directory change (a group's members, an alias) can
resolve them again: the open tasks of that government follow the directory, each change in
the task's timeline and announced."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.clock import beijing_today
from services.tasks.directory.resolve import directory_index
from services.tasks.lifecycle.models import (
    Indicator,
    Milestone,
    MilestoneStatus,
    Task,
    TaskStatus,
)
from services.tasks.progress.figure import refresh_figure
from services.tasks.registration.announce import announce_registered, task_milestones
from services.tasks.registration.creation import SYSTEM, create_tasks
from services.tasks.registration.models import Document, ReportingRound, RoundSource
from services.tasks.registration.resolution import PRINTED_FIELDS, sync_assignments
from services.tasks.registration.rounds import default_rounds, period_names
from services.tasks.signals.refresh import refresh_signal
from services.tasks.signals.rules import work_started
from shared.contracts.intake import DocumentPublishedV1, TaskDefinedV1, TaskWithdrawnV1


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
                issued_date=event.issued_date,
                supersedes=event.supersedes,
                published_at=datetime.now(UTC),
            )
        )
    dates, source = event.reporting_dates, RoundSource.NOTICE
    if not dates and event.year:
        dates, source = default_rounds(event.year), RoundSource.POLICY
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


def define_tasks(session: Session, events: Sequence[TaskDefinedV1]) -> None:
    """Register definitions in order: the tasks seen for the first time together
    (``creation.py``), then each definition of a task already here (or defined twice in
    ``events``), which updates it in place."""
    ids = {event.task_id for event in events}
    known = set(session.scalars(select(Task.id).where(Task.id.in_(ids))))
    first, again = [], []
    for event in events:
        (again if event.task_id in known else first).append(event)
        known.add(event.task_id)
    create_tasks(session, first)
    for event in again:
        _redefine_task(session, event)


def _redefine_task(session: Session, event: TaskDefinedV1) -> None:
    now = datetime.now(UTC)
    task = session.get(Task, event.task_id)
    assert task is not None
    if event.revision <= task.revision and task.text:
        return  # an older or the same definition arriving again
    before = {"text": task.text, "revision": task.revision}
    task.government_id, task.document_id = event.government_id, event.document_id
    task.number, task.path, task.text = event.number, event.path, event.text
    task.section = event.path[0] if event.path else ""
    task.year, task.leaders, task.revision = event.year, event.leaders, event.revision
    task.updated_at = now
    task.units_as_printed = {role: getattr(event, f) for role, f in PRINTED_FIELDS.items()}
    if task.started_on is None:
        document = session.get(Document, event.document_id)
        issued = document.issued_date if document else None
        task.started_on = work_started(event.year or now.year, issued, beijing_today())
    session.flush()
    sync_assignments(session, task, directory_index(session, task.government_id))
    _sync_milestones(session, task, event)
    _sync_indicators(session, task, event)
    audit.record(
        session,
        government_id=task.government_id,
        actor=event.actor or SYSTEM,
        action="task.redefined",
        entity="task",
        entity_id=task.id,
        before=before,
        after={"text": task.text, "revision": task.revision},
    )
    announce_registered(session, task)
    refresh_figure(session, task)  # also judges the colour


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
        if stale.status == MilestoneStatus.OPEN:
            session.delete(stale)


def _sync_indicators(session: Session, task: Task, event: TaskDefinedV1) -> None:
    """The targets of the new definition, numbered as printed; an indicator with an actual
    figure already reported is kept even when the corrected notice drops it."""
    session.execute(
        delete(Indicator).where(Indicator.task_id == task.id, Indicator.actual_value.is_(None))
    )
    kept = {
        i.phrase: i for i in session.scalars(select(Indicator).where(Indicator.task_id == task.id))
    }
    for number, target in enumerate(event.targets, start=1):
        indicator = kept.pop(target.phrase, None)
        if indicator is not None:
            indicator.number = number
            continue
        session.add(
            Indicator(
                task_id=task.id,
                number=number,
                phrase=target.phrase,
                subject=target.subject,
                comparator=target.comparator,
                target_value=target.value,
                target_max=target.value_max,
                unit=target.unit,
            )
        )
    for number, dropped in enumerate(kept.values(), start=len(event.targets) + 1):
        dropped.number = number


def withdraw_task(session: Session, event: TaskWithdrawnV1) -> None:
    task = session.get(Task, event.task_id)
    if task is None or task.status == TaskStatus.WITHDRAWN:
        return
    audit.record(
        session,
        government_id=task.government_id,
        actor=event.actor or SYSTEM,
        action="task.withdrawn",
        entity="task",
        entity_id=task.id,
        before={"status": task.status},
        after={"status": TaskStatus.WITHDRAWN},
    )
    task.status, task.status_reason = TaskStatus.WITHDRAWN, event.reason
    refresh_signal(session, task)
