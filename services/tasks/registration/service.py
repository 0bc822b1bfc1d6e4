"""Registering what intake publishes. A corrected definition updates the task in place and
keeps what units already did (acknowledgements, progress, milestone states). A task keeps its
units as the notice printed them, so a directory change (a group's members, an alias) can
resolve them again: the open tasks of that government follow the directory, each change in
the task's timeline and announced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.clock import beijing_today
from services.tasks.directory.models import Unit
from services.tasks.directory.resolve import directory_index, resolve_units
from services.tasks.lifecycle.models import (
    OPEN,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Indicator,
    Milestone,
    MilestoneStatus,
    Task,
    TaskStatus,
)
from services.tasks.lifecycle.service import announce_assignment
from services.tasks.progress.figure import refresh_figure
from services.tasks.registration.models import Document, ReportingRound, RoundSource
from services.tasks.registration.rounds import default_rounds, period_names
from services.tasks.signals.refresh import refresh_signal
from services.tasks.signals.rules import Signal, work_started
from shared.contracts.intake import DocumentPublishedV1, TaskDefinedV1, TaskWithdrawnV1
from shared.contracts.tasks import TaskRegisteredV1
from shared.messaging.outbox import add_event

PRINTED_FIELDS = {
    AssignmentRole.LEAD: "lead_units",
    AssignmentRole.RESPONSIBLE: "responsible_units",
    AssignmentRole.COOPERATING: "cooperating_units",
}
SYSTEM = "系统（通知发布）"
DIRECTORY = "系统（单位名录）"


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


def define_task(session: Session, event: TaskDefinedV1) -> None:
    now = datetime.now(UTC)
    task = session.get(Task, event.task_id)
    before = None
    if task is None:
        task = Task(id=event.task_id, status=TaskStatus.ASSIGNED, created_at=now)
        task.signal = Signal.GREEN
        session.add(task)
    else:
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
        actor=SYSTEM,
        action="task.defined" if before is None else "task.redefined",
        entity="task",
        entity_id=task.id,
        before=before,
        after={"text": task.text, "revision": task.revision},
    )
    _announce_registered(session, task)
    refresh_figure(session, task)  # also judges the colour


def _announce_registered(session: Session, task: Task) -> None:
    session.flush()
    assignments = task_assignments(session, task.id)
    add_event(
        session,
        TaskRegisteredV1(
            task_id=task.id,
            document_id=task.document_id,
            number=task.number,
            text=task.text,
            units=list(dict.fromkeys(a.unit for a in assignments)),
            status=task.status,
            government_id=task.government_id,
            section=task.section,
            leaders=task.leaders,
            lead_units=[a.unit for a in assignments if a.role == AssignmentRole.LEAD],
            due_dates=[m.due_date for m in task_milestones(session, task.id) if m.due_date],
            revision=task.revision,
        ),
    )


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


@dataclass
class Resolution:
    """What resolving a task's units again changed."""

    added: list[Assignment] = field(default_factory=list)
    removed: list[Assignment] = field(default_factory=list)
    renamed: list[tuple[str, Assignment]] = field(default_factory=list)  # (old name, row)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.renamed)


def sync_assignments(session: Session, task: Task, index: dict[str, Unit]) -> Resolution:
    """Make the task's assignments what its printed units resolve to now. A unit that turns
    out to be an alias of a listed unit is renamed (keeping its 签收 and its figure); a group
    the directory now knows gives way to its members."""
    wanted: dict[tuple[str, str], str | None] = {}
    for role in PRINTED_FIELDS:
        for resolved in resolve_units(index, task.units_as_printed.get(role, [])):
            wanted.setdefault((resolved.name, role), resolved.via_group)
    existing = {(a.unit, a.role): a for a in task_assignments(session, task.id)}
    done = Resolution()
    for (unit, role), assignment in list(existing.items()):
        if (unit, role) in wanted:
            assignment.via_group = wanted[(unit, role)]
            continue
        canonical = index[unit].name if unit in index else None
        if canonical and (canonical, role) in wanted and (canonical, role) not in existing:
            assignment.unit, assignment.via_group = canonical, wanted[(canonical, role)]
            existing[(canonical, role)] = assignment
            done.renamed.append((unit, assignment))
        else:
            done.removed.append(assignment)
            session.delete(assignment)
    for (unit, role), via_group in wanted.items():
        if (unit, role) not in existing:
            fresh = Assignment(
                task_id=task.id,
                unit=unit,
                role=role,
                via_group=via_group,
                status=AssignmentStatus.ASSIGNED,
                updated_at=datetime.now(UTC),
            )
            session.add(fresh)
            done.added.append(fresh)
    session.flush()
    return done


def reresolve(session: Session, government_id: str) -> int:
    """Resolve the units of every open task of the government against its directory as it now
    is; returns how many tasks changed. Each change is in the task's timeline, announced unit
    by unit (``assignment.changed``) and as the task's new units (``task.registered``)."""
    index = directory_index(session, government_id)
    tasks = session.scalars(
        select(Task)
        .where(Task.government_id == government_id, Task.status.in_(OPEN))
        .order_by(Task.id)
    ).all()
    changed = 0
    for task in tasks:
        before = sorted({a.unit for a in task_assignments(session, task.id)})
        resolution = sync_assignments(session, task, index)
        if not resolution:
            continue
        changed += 1
        _record_resolution(session, task, resolution, before)
        _announce_registered(session, task)
        refresh_figure(session, task)
    return changed


def _record_resolution(
    session: Session, task: Task, resolution: Resolution, before: list[str]
) -> None:
    note = "单位名录变更"
    for assignment in resolution.removed:
        announce_assignment(session, task, assignment, AssignmentStatus.REMOVED, note, DIRECTORY)
    for old, assignment in resolution.renamed:
        announce_assignment(
            session,
            task,
            assignment,
            assignment.status,
            f"{note}：{old}并入{assignment.unit}",
            DIRECTORY,
        )
    for assignment in resolution.added:
        announce_assignment(session, task, assignment, AssignmentStatus.ASSIGNED, note, DIRECTORY)
    audit.record(
        session,
        government_id=task.government_id,
        actor=DIRECTORY,
        action="task.units_resolved",
        entity="task",
        entity_id=task.id,
        before={"units": before},
        after={"units": sorted({a.unit for a in task_assignments(session, task.id)})},
    )


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
        actor=SYSTEM,
        action="task.withdrawn",
        entity="task",
        entity_id=task.id,
        before={"status": task.status},
        after={"status": TaskStatus.WITHDRAWN},
    )
    task.status, task.status_reason = TaskStatus.WITHDRAWN, event.reason
    refresh_signal(session, task)
