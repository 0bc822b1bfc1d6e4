"""Resolving a task's units: the names the notice printed, by role, matched against the
government's directory (a group becomes its members, an alias its unit). At registration,
and again for every open task whenever the directory changes, each change in the task's
timeline and announced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.directory.models import Unit
from services.tasks.directory.resolve import directory_index, resolve_units
from services.tasks.lifecycle.models import (
    OPEN,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Task,
)
from services.tasks.lifecycle.service import announce_assignment
from services.tasks.progress.figure import refresh_figure
from services.tasks.registration.announce import announce_registered, task_assignments

PRINTED_FIELDS = {
    AssignmentRole.LEAD: "lead_units",
    AssignmentRole.RESPONSIBLE: "responsible_units",
    AssignmentRole.COOPERATING: "cooperating_units",
}
DIRECTORY = "系统（单位名录）"


@dataclass
class Resolution:
    """What resolving a task's units again changed."""

    added: list[Assignment] = field(default_factory=list)
    removed: list[Assignment] = field(default_factory=list)
    renamed: list[tuple[str, Assignment]] = field(default_factory=list)  # (old name, row)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.renamed)


def wanted_units(
    index: dict[str, Unit], printed: dict[str, list[str]]
) -> dict[tuple[str, str], str | None]:
    """The (unit, role) pairs the printed units resolve to, in the order assignments are
    made (lead, responsible, cooperating; as printed), each with the group it came from."""
    wanted: dict[tuple[str, str], str | None] = {}
    for role in PRINTED_FIELDS:
        for resolved in resolve_units(index, printed.get(role, [])):
            wanted.setdefault((resolved.name, role), resolved.via_group)
    return wanted


def sync_assignments(session: Session, task: Task, index: dict[str, Unit]) -> Resolution:
    """Make the task's assignments what its printed units resolve to now. A unit that turns
    out to be an alias of a listed unit is renamed (keeping its 签收 and its figure); a group
    the directory now knows gives way to its members."""
    wanted = wanted_units(index, task.units_as_printed)
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
        announce_registered(session, task)
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
