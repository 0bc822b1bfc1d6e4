"""A task's life: 签收/退回 by units, reassignment, 办结申请 and 销号, 暂停/恢复. Every change
is audited and announced through the outbox; every change that can move the task's figure or
colour recomputes them (``progress.figure``, ``signals.refresh``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.access.principal import BUREAU, Principal, Role, require_role, require_unit
from services.tasks.errors import Conflict, Forbidden, NotFound
from services.tasks.lifecycle.models import (
    ACTIVE,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Milestone,
    MilestoneStatus,
    Task,
    TaskStatus,
)
from services.tasks.progress.figure import refresh_figure
from services.tasks.signals.refresh import refresh_signal
from shared.contracts.tasks import AssignmentChangedV1, TaskStatusChangedV1
from shared.messaging.outbox import add_event

ROLE_ORDER = list(AssignmentRole)


def can_see_task(session: Session, principal: Principal, task: Task) -> bool:
    if not principal.sees_government(task.government_id):
        return False
    if principal.role in BUREAU:
        return True
    if principal.role == Role.LEADER:
        return principal.leader in task.leaders
    scope = principal.unit_scope
    mine = select(Assignment.id).where(Assignment.task_id == task.id, Assignment.unit.in_(scope))
    return bool(scope) and session.scalar(mine.limit(1)) is not None


def get_task(session: Session, principal: Principal, task_id: str) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"找不到任务 {task_id}")
    if not can_see_task(session, principal, task):
        raise Forbidden(f"无权查看或办理任务 {task.number}")
    return task


def status_changed(
    task_id: str, government_id: str, previous: str, status: TaskStatus, reason: str, actor: str
) -> tuple[audit.Entry, TaskStatusChangedV1]:
    """What a new status leaves behind: its audit entry and its event."""
    entry = audit.Entry(
        government_id=government_id,
        actor=actor,
        action="task.status",
        entity="task",
        entity_id=task_id,
        before={"status": previous},
        after={"status": status, "reason": reason},
    )
    event = TaskStatusChangedV1(
        task_id=task_id,
        government_id=government_id,
        status=status,
        previous=previous,
        reason=reason,
        actor=actor,
    )
    return entry, event


def set_status(session: Session, task: Task, status: TaskStatus, reason: str, actor: str) -> None:
    if task.status == status:
        return
    entry, event = status_changed(task.id, task.government_id, task.status, status, reason, actor)
    audit.record_many(session, [entry])
    task.status, task.status_reason, task.updated_at = status, reason, datetime.now(UTC)
    add_event(session, event)
    refresh_signal(session, task)  # a closed task has no warning colour; a resumed one may


def find_assignment(session: Session, task: Task, unit: str) -> Assignment:
    found = session.scalars(
        select(Assignment).where(Assignment.task_id == task.id, Assignment.unit == unit)
    ).all()
    if not found:
        raise NotFound(f"任务 {task.number} 没有交办给“{unit}”")
    return min(found, key=lambda a: ROLE_ORDER.index(AssignmentRole(a.role)))


def announce_assignment(
    session: Session, task: Task, assignment: Assignment, status: str, note: str, actor: str
) -> None:
    """Audit and announce an assignment's new state (the row is changed by the caller)."""
    audit.record(
        session,
        government_id=task.government_id,
        actor=actor,
        action=f"assignment.{status}",
        entity="assignment",
        task_id=task.id,
        entity_id=assignment.id,
        before={"status": assignment.status, "unit": assignment.unit},
        after={"status": status, "note": note},
    )
    add_event(
        session,
        AssignmentChangedV1(
            task_id=task.id,
            government_id=task.government_id,
            unit=assignment.unit,
            role=assignment.role,
            status=status,
            note=note,
            actor=actor,
        ),
    )


def _change_assignment(
    session: Session, task: Task, assignment: Assignment, status: str, note: str, actor: str
) -> None:
    announce_assignment(session, task, assignment, status, note, actor)
    assignment.status, assignment.note = status, note
    assignment.updated_at = datetime.now(UTC)


def acknowledge(session: Session, principal: Principal, task_id: str, unit: str) -> Task:
    task = get_task(session, principal, task_id)
    require_unit(principal, unit)
    assignment = find_assignment(session, task, unit)
    if assignment.status == AssignmentStatus.ACKNOWLEDGED:
        return task
    _change_assignment(session, task, assignment, AssignmentStatus.ACKNOWLEDGED, "", principal.name)
    if task.status == TaskStatus.ASSIGNED and assignment.role != AssignmentRole.COOPERATING:
        set_status(session, task, TaskStatus.ACKNOWLEDGED, f"{unit}已签收", principal.name)
    return task


def return_assignment(
    session: Session, principal: Principal, task_id: str, unit: str, reason: str
) -> Task:
    task = get_task(session, principal, task_id)
    require_unit(principal, unit)
    assignment = find_assignment(session, task, unit)
    _change_assignment(session, task, assignment, AssignmentStatus.RETURNED, reason, principal.name)
    refresh_figure(session, task)  # a unit that returned its share no longer counts
    return task


def reassign(
    session: Session, principal: Principal, task_id: str, unit: str, new_unit: str, reason: str
) -> Task:
    """The bureau hands a returned (or wrong) assignment to another unit."""
    require_role(principal, Role.SUPERVISOR)
    task = get_task(session, principal, task_id)
    old = find_assignment(session, task, unit)
    taken = select(Assignment.id).where(
        Assignment.task_id == task.id, Assignment.unit == new_unit, Assignment.role == old.role
    )
    if session.scalar(taken) is not None:
        role = AssignmentRole(old.role).label
        raise Conflict(f"“{new_unit}”已是任务 {task.number} 的{role}")
    _change_assignment(session, task, old, AssignmentStatus.REMOVED, reason, principal.name)
    session.delete(old)
    fresh = Assignment(
        task_id=task.id,
        unit=new_unit,
        role=old.role,
        status=AssignmentStatus.ASSIGNED,
        note=reason,
        updated_at=datetime.now(UTC),
    )
    session.add(fresh)
    session.flush()
    _change_assignment(session, task, fresh, AssignmentStatus.ASSIGNED, reason, principal.name)
    refresh_figure(session, task)
    return task


def request_completion(
    session: Session, principal: Principal, task_id: str, unit: str, summary: str
) -> Task:
    task = get_task(session, principal, task_id)
    require_unit(principal, unit)
    if find_assignment(session, task, unit).role == AssignmentRole.COOPERATING:
        raise Conflict("配合单位不能申请办结，请由牵头单位申请")
    if task.status not in ACTIVE:
        raise Conflict(f"任务当前为“{TaskStatus(task.status).label}”，不能申请办结")
    set_status(session, task, TaskStatus.COMPLETION_REQUESTED, summary, principal.name)
    return task


def decide_completion(
    session: Session, principal: Principal, task_id: str, approve: bool, comment: str
) -> Task:
    require_role(principal, Role.SUPERVISOR)
    task = get_task(session, principal, task_id)
    if task.status != TaskStatus.COMPLETION_REQUESTED:
        raise Conflict("该任务没有待审核的办结申请")
    if approve:
        for milestone in session.scalars(
            select(Milestone).where(
                Milestone.task_id == task.id, Milestone.status == MilestoneStatus.OPEN
            )
        ):
            milestone.status = MilestoneStatus.DONE
        session.flush()
        done = comment or "审核通过，予以销号"
        set_status(session, task, TaskStatus.COMPLETED, done, principal.name)
    else:
        back = comment or "办结申请未通过"
        set_status(session, task, TaskStatus.IN_PROGRESS, back, principal.name)
    return task


def suspend(session: Session, principal: Principal, task_id: str, reason: str) -> Task:
    require_role(principal, Role.SUPERVISOR)
    task = get_task(session, principal, task_id)
    if task.status not in ACTIVE:
        raise Conflict(f"任务当前为“{TaskStatus(task.status).label}”，不能暂停")
    set_status(session, task, TaskStatus.SUSPENDED, reason, principal.name)
    return task


def resume(session: Session, principal: Principal, task_id: str, reason: str) -> Task:
    require_role(principal, Role.SUPERVISOR)
    task = get_task(session, principal, task_id)
    if task.status != TaskStatus.SUSPENDED:
        raise Conflict("任务未处于暂停状态")
    set_status(session, task, _status_before_suspension(session, task), reason, principal.name)
    return task


def _status_before_suspension(session: Session, task: Task) -> TaskStatus:
    """Where the task was when suspended (from its audit log), so that resuming neither
    skips 签收 nor drops a pending 办结申请; in_progress if the log does not say."""
    changes = session.scalars(
        select(audit.AuditEntry)
        .where(audit.AuditEntry.task_id == task.id, audit.AuditEntry.action == "task.status")
        .order_by(audit.AuditEntry.id.desc())
    )
    for change in changes:
        if (change.after or {}).get("status") == TaskStatus.SUSPENDED:
            previous = (change.before or {}).get("status")
            return TaskStatus(previous) if previous in ACTIVE else TaskStatus.IN_PROGRESS
    return TaskStatus.IN_PROGRESS
