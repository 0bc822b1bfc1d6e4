"""The bureau's supervision routes on a task: extensions, deadlines, 催办, exemption."""

from __future__ import annotations

from fastapi import APIRouter

from services.tasks.lifecycle.routes import RecordId, TaskId, act
from services.tasks.lifecycle.schemas import (
    AdjustIn,
    DecisionIn,
    ExemptionIn,
    ExtensionIn,
    ExtensionOut,
    TaskDetail,
    UrgeIn,
)
from services.tasks.supervision import service as supervision
from shared.identity.verify import PrincipalDep
from shared.web import SessionsDep

router = APIRouter(prefix="/tasks", tags=["任务"])


@router.post("/{task_id}/extensions", status_code=201, summary="申请延期")
def request_extension(
    task_id: TaskId, body: ExtensionIn, principal: PrincipalDep, sessions: SessionsDep
) -> ExtensionOut:
    with sessions.begin() as session:
        request = supervision.request_extension(
            session,
            principal,
            task_id,
            body.unit,
            body.milestone_id,
            body.requested_date,
            body.reason,
        )
        return ExtensionOut.model_validate(request)


@router.post("/{task_id}/extensions/{request_id}/decision", summary="审批延期申请")
def decide_extension(
    task_id: TaskId,
    request_id: RecordId,
    body: DecisionIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
) -> TaskDetail:
    return act(
        sessions,
        principal,
        task_id,
        supervision.decide_extension,
        request_id,
        body.approve,
        body.comment,
    )


@router.post("/{task_id}/milestones/{milestone_id}/adjust", summary="调整时间节点（须说明理由）")
def adjust(
    task_id: TaskId,
    milestone_id: RecordId,
    body: AdjustIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
) -> TaskDetail:
    return act(
        sessions,
        principal,
        task_id,
        supervision.adjust_deadline,
        milestone_id,
        body.due_date,
        body.reason,
    )


@router.post("/{task_id}/urge", summary="催办")
def urge(
    task_id: TaskId, body: UrgeIn, principal: PrincipalDep, sessions: SessionsDep
) -> TaskDetail:
    return act(sessions, principal, task_id, supervision.urge, body.message, body.units)


@router.put("/{task_id}/reminders", summary="设置是否免于提醒")
def exempt(
    task_id: TaskId, body: ExemptionIn, principal: PrincipalDep, sessions: SessionsDep
) -> TaskDetail:
    return act(
        sessions, principal, task_id, supervision.set_reminder_exemption, body.exempt, body.reason
    )
