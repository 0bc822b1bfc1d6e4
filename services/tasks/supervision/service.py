"""The bureau's supervision actions: 延期申请 and its decision, adjusting a deadline (reason
required), 催办, and exempting a task from reminders. All audited, all through the outbox; a
moved deadline colours the task anew."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.access.principal import Principal, Role, require_role, require_unit
from services.tasks.errors import Conflict, NotFound
from services.tasks.lifecycle.models import Assignment, AssignmentRole, Milestone, Task
from services.tasks.lifecycle.service import find_assignment, get_task
from services.tasks.signals.refresh import refresh_signal
from services.tasks.supervision.models import ExtensionRequest, ExtensionStatus, Urge, UrgeKind
from shared.contracts.tasks import MilestoneRescheduledV1, TaskUrgedV1
from shared.messaging.outbox import add_event


def _milestone(session: Session, task: Task, milestone_id: int) -> Milestone:
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or milestone.task_id != task.id:
        raise NotFound(f"任务 {task.number} 没有编号为 {milestone_id} 的时间节点")
    return milestone


def reschedule(
    session: Session, task: Task, milestone: Milestone, due: date, reason: str, actor: str
) -> None:
    previous = milestone.due_date
    audit.record(
        session,
        government_id=task.government_id,
        actor=actor,
        action="milestone.rescheduled",
        entity="milestone",
        task_id=task.id,
        entity_id=milestone.id,
        before={"due_date": str(previous)},
        after={"due_date": str(due), "reason": reason},
    )
    milestone.due_date = due
    add_event(
        session,
        MilestoneRescheduledV1(
            task_id=task.id,
            government_id=task.government_id,
            milestone_id=milestone.id,
            phrase=milestone.phrase,
            due_date=due,
            previous=previous,
            reason=reason,
            actor=actor,
        ),
    )
    session.flush()
    refresh_signal(session, task)


def adjust_deadline(
    session: Session, principal: Principal, task_id: str, milestone_id: int, due: date, reason: str
) -> Task:
    require_role(principal, Role.SUPERVISOR)
    if not reason.strip():
        raise Conflict("调整时间节点必须说明理由")
    task = get_task(session, principal, task_id)
    reschedule(session, task, _milestone(session, task, milestone_id), due, reason, principal.name)
    return task


def request_extension(
    session: Session,
    principal: Principal,
    task_id: str,
    unit: str,
    milestone_id: int,
    requested: date,
    reason: str,
) -> ExtensionRequest:
    task = get_task(session, principal, task_id)
    require_unit(principal, unit)
    find_assignment(session, task, unit)
    milestone = _milestone(session, task, milestone_id)
    if milestone.due_date and requested <= milestone.due_date:
        raise Conflict("申请延期的日期应晚于原定时限")
    request = ExtensionRequest(
        task_id=task.id,
        milestone_id=milestone.id,
        unit=unit,
        requested_date=requested,
        reason=reason,
        status=ExtensionStatus.PENDING,
        created_at=datetime.now(UTC),
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        government_id=task.government_id,
        actor=principal.name,
        action="extension.requested",
        entity="extension_request",
        task_id=task.id,
        entity_id=request.id,
        after={"requested_date": str(requested), "reason": reason},
    )
    return request


def decide_extension(
    session: Session,
    principal: Principal,
    task_id: str,
    request_id: int,
    approve: bool,
    comment: str,
) -> ExtensionRequest:
    require_role(principal, Role.SUPERVISOR)
    task = get_task(session, principal, task_id)
    request = session.get(ExtensionRequest, request_id)
    if request is None or request.task_id != task.id:
        raise NotFound(f"找不到延期申请 {request_id}")
    if request.status != ExtensionStatus.PENDING:
        raise Conflict("该延期申请已处理")
    request.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    request.decided_by, request.comment = principal.name, comment
    audit.record(
        session,
        government_id=task.government_id,
        actor=principal.name,
        action=f"extension.{request.status}",
        entity="extension_request",
        task_id=task.id,
        entity_id=request.id,
        before={"status": ExtensionStatus.PENDING},
        after={"status": request.status, "comment": comment},
    )
    if approve:
        reschedule(
            session,
            task,
            _milestone(session, task, request.milestone_id),
            request.requested_date,
            f"批准延期：{request.reason}",
            principal.name,
        )
    return request


def urge(
    session: Session, principal: Principal, task_id: str, message: str, units: list[str]
) -> Urge:
    require_role(principal, Role.SUPERVISOR)
    task = get_task(session, principal, task_id)
    for unit in units:
        find_assignment(session, task, unit)  # only a unit the task is assigned to
    targets = units or [
        a.unit
        for a in session.scalars(
            select(Assignment).where(
                Assignment.task_id == task.id, Assignment.role != AssignmentRole.COOPERATING
            )
        )
    ]
    record = Urge(
        task_id=task.id,
        kind=UrgeKind.URGE,
        unit="、".join(targets),
        message=message,
        by=principal.name,
        at=datetime.now(UTC),
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        government_id=task.government_id,
        actor=principal.name,
        action="task.urged",
        entity="task",
        entity_id=task.id,
        after={"units": targets, "message": message},
    )
    add_event(
        session,
        TaskUrgedV1(
            task_id=task.id,
            government_id=task.government_id,
            units=targets,
            message=message,
            kind=UrgeKind.URGE,
            actor=principal.name,
        ),
    )
    return record


def set_reminder_exemption(
    session: Session, principal: Principal, task_id: str, exempt: bool, reason: str
) -> Task:
    require_role(principal, Role.SUPERVISOR)
    task = get_task(session, principal, task_id)
    audit.record(
        session,
        government_id=task.government_id,
        actor=principal.name,
        action="task.reminders",
        entity="task",
        entity_id=task.id,
        before={"exempt": task.exempt_reminders},
        after={"exempt": exempt, "reason": reason},
    )
    task.exempt_reminders = exempt
    return task
