"""A task's life: 签收/退回 by units, reassignment, 办结申请 and 销号, 暂停/恢复. Every change
is audited and announced through the outbox (the bureau's other actions: ``supervision``).

Status: assigned → acknowledged → in_progress → completion_requested → completed, with
suspended beside them and withdrawn when a corrected notice drops the task.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.auth import Principal, require_role, require_task, require_unit
from services.tasks.models import Assignment, AuditEntry, Milestone, Task
from shared.contracts.tasks import AssignmentChangedV1, TaskStatusChangedV1
from shared.messaging.outbox import add_event

ROLE_NAMES = {"lead": "牵头单位", "responsible": "责任单位", "cooperating": "配合单位"}
ACTIVE = ("assigned", "acknowledged", "in_progress", "completion_requested")
STATUS_NAMES = {
    "assigned": "已交办",
    "acknowledged": "已签收",
    "in_progress": "推进中",
    "completion_requested": "申请办结",
    "completed": "已办结",
    "suspended": "已暂停",
    "withdrawn": "已撤销",
}


class NotFound(LookupError):
    """No such task, assignment, milestone or request."""


class Conflict(ValueError):
    """Not allowed in the current state; the message tells the clerk why."""


def get_task(session: Session, principal: Principal, task_id: str) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"找不到任务 {task_id}")
    require_task(session, principal, task)
    return task


def set_status(session: Session, task: Task, status: str, reason: str, actor: str) -> None:
    if task.status == status:
        return
    previous = task.status
    audit.record(
        session,
        government_id=task.government_id,
        actor=actor,
        action="task.status",
        entity="task",
        entity_id=task.id,
        before={"status": previous},
        after={"status": status, "reason": reason},
    )
    task.status, task.status_reason, task.updated_at = status, reason, datetime.now(UTC)
    add_event(
        session,
        TaskStatusChangedV1(
            task_id=task.id,
            government_id=task.government_id,
            status=status,
            previous=previous,
            reason=reason,
            actor=actor,
        ),
    )


def find_assignment(session: Session, task: Task, unit: str) -> Assignment:
    found = session.scalars(
        select(Assignment).where(Assignment.task_id == task.id, Assignment.unit == unit)
    ).all()
    if not found:
        raise NotFound(f"任务 {task.number} 没有交办给“{unit}”")
    return min(found, key=lambda a: ("lead", "responsible", "cooperating").index(a.role))


def _change_assignment(
    session: Session, task: Task, assignment: Assignment, status: str, note: str, actor: str
) -> None:
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
    assignment.status, assignment.note = status, note
    assignment.updated_at = datetime.now(UTC)
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


def acknowledge(session: Session, principal: Principal, task_id: str, unit: str) -> Task:
    task = get_task(session, principal, task_id)
    require_unit(principal, unit)
    assignment = find_assignment(session, task, unit)
    if assignment.status == "acknowledged":
        return task
    _change_assignment(session, task, assignment, "acknowledged", "", principal.name)
    if task.status == "assigned" and assignment.role in ("lead", "responsible"):
        set_status(session, task, "acknowledged", f"{unit}已签收", principal.name)
    return task


def return_assignment(
    session: Session, principal: Principal, task_id: str, unit: str, reason: str
) -> Task:
    task = get_task(session, principal, task_id)
    require_unit(principal, unit)
    _change_assignment(
        session, task, find_assignment(session, task, unit), "returned", reason, principal.name
    )
    return task


def reassign(
    session: Session, principal: Principal, task_id: str, unit: str, new_unit: str, reason: str
) -> Task:
    """The bureau hands a returned (or wrong) assignment to another unit."""
    require_role(principal, "supervisor")
    task = get_task(session, principal, task_id)
    old = find_assignment(session, task, unit)
    taken = select(Assignment.id).where(
        Assignment.task_id == task.id, Assignment.unit == new_unit, Assignment.role == old.role
    )
    if session.scalar(taken) is not None:
        raise Conflict(f"“{new_unit}”已是任务 {task.number} 的{ROLE_NAMES[old.role]}")
    _change_assignment(session, task, old, "removed", reason, principal.name)
    session.delete(old)
    fresh = Assignment(
        task_id=task.id,
        unit=new_unit,
        role=old.role,
        status="assigned",
        note=reason,
        updated_at=datetime.now(UTC),
    )
    session.add(fresh)
    session.flush()
    _change_assignment(session, task, fresh, "assigned", reason, principal.name)
    return task


def request_completion(
    session: Session, principal: Principal, task_id: str, unit: str, summary: str
) -> Task:
    task = get_task(session, principal, task_id)
    require_unit(principal, unit)
    if find_assignment(session, task, unit).role == "cooperating":
        raise Conflict("配合单位不能申请办结，请由牵头单位申请")
    if task.status not in ACTIVE:
        raise Conflict(f"任务当前为“{STATUS_NAMES[task.status]}”，不能申请办结")
    set_status(session, task, "completion_requested", summary, principal.name)
    return task


def decide_completion(
    session: Session, principal: Principal, task_id: str, approve: bool, comment: str
) -> Task:
    require_role(principal, "supervisor")
    task = get_task(session, principal, task_id)
    if task.status != "completion_requested":
        raise Conflict("该任务没有待审核的办结申请")
    if approve:
        for milestone in session.scalars(
            select(Milestone).where(Milestone.task_id == task.id, Milestone.status == "open")
        ):
            milestone.status = "done"
        set_status(session, task, "completed", comment or "审核通过，予以销号", principal.name)
    else:
        set_status(session, task, "in_progress", comment or "办结申请未通过", principal.name)
    return task


def suspend(session: Session, principal: Principal, task_id: str, reason: str) -> Task:
    require_role(principal, "supervisor")
    task = get_task(session, principal, task_id)
    if task.status not in ACTIVE:
        raise Conflict(f"任务当前为“{STATUS_NAMES[task.status]}”，不能暂停")
    set_status(session, task, "suspended", reason, principal.name)
    return task


def resume(session: Session, principal: Principal, task_id: str, reason: str) -> Task:
    require_role(principal, "supervisor")
    task = get_task(session, principal, task_id)
    if task.status != "suspended":
        raise Conflict("任务未处于暂停状态")
    set_status(session, task, _status_before_suspension(session, task), reason, principal.name)
    return task


def _status_before_suspension(session: Session, task: Task) -> str:
    """Where the task was when suspended (from its audit log), so that resuming neither
    skips 签收 nor drops a pending 办结申请; in_progress if the log does not say."""
    changes = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.task_id == task.id, AuditEntry.action == "task.status")
        .order_by(AuditEntry.id.desc())
    )
    for change in changes:
        if (change.after or {}).get("status") == "suspended":
            previous = (change.before or {}).get("status")
            return previous if previous in ACTIVE else "in_progress"
    return "in_progress"
