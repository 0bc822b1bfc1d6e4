"""Tasks: list and detail for everyone in scope; the life-cycle actions of units and of the
bureau. ``act`` runs one action in its own transaction and answers with the task as it now
is; the supervision routes use it too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.tasks.lifecycle import queries
from services.tasks.lifecycle import service as lifecycle
from services.tasks.lifecycle.schemas import (
    CompletionRequestIn,
    DecisionIn,
    ReasonIn,
    ReassignIn,
    ReturnIn,
    TaskDetail,
    TaskSummary,
    UnitAction,
)
from shared.contracts import limits
from shared.identity.verify import PrincipalDep
from shared.validation import Day
from shared.web import SessionsDep

router = APIRouter(prefix="/tasks", tags=["任务"])
Text = Annotated[str | None, Query(max_length=200)]
# A record's number in a path: a positive 32-bit integer, so that no id a client makes up can
# overflow a column (2**63 is refused here, with 422, not by the database with a 500).
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]
TaskId = Annotated[str, Path(min_length=1, max_length=limits.TASK_ID, description="任务编号")]


@router.get(
    "", summary="任务列表（按政府、文件、章节、单位、领导、状态、红黄绿灯、时限、关键词筛选）"
)
def list_tasks(
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: Text = None,
    document_id: Text = None,
    section: Text = None,
    unit: Text = None,
    leader: Text = None,
    status: Text = None,
    signal: Text = None,
    due_before: Day | None = None,
    due_after: Day | None = None,
    q: Text = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[TaskSummary]:
    wanted = queries.TaskFilter(
        government,
        document_id,
        section,
        unit,
        leader,
        status,
        signal,
        due_before,
        due_after,
        q,
        limit,
        offset,
    )
    with sessions() as session:
        return queries.list_tasks(session, principal, wanted)


def detail(sessions: SessionsDep, task_id: str, principal: PrincipalDep) -> TaskDetail:
    with sessions() as session:
        return queries.task_detail(session, lifecycle.get_task(session, principal, task_id))


@router.get("/{task_id}", summary="任务详情及全过程记录")
def get_task(task_id: TaskId, principal: PrincipalDep, sessions: SessionsDep) -> TaskDetail:
    return detail(sessions, task_id, principal)


def act(
    sessions: SessionsDep,
    principal: PrincipalDep,
    task_id: str,
    action: Callable[..., object],
    *args: object,
) -> TaskDetail:
    """Run one action in its own transaction and answer with the task as it now is, read in
    the same transaction: built before the commit, so nothing committed is answered by a 500
    (and nobody else's change slips in between)."""
    with sessions.begin() as session:
        action(session, principal, task_id, *args)
        session.flush()
        return queries.task_detail(session, lifecycle.get_task(session, principal, task_id))


@router.post("/{task_id}/acknowledge", summary="签收")
def acknowledge(
    task_id: TaskId, body: UnitAction, principal: PrincipalDep, sessions: SessionsDep
) -> TaskDetail:
    return act(sessions, principal, task_id, lifecycle.acknowledge, body.unit)


@router.post("/{task_id}/return", summary="退回（非本单位职责等），由督查部门改派")
def return_task(
    task_id: TaskId, body: ReturnIn, principal: PrincipalDep, sessions: SessionsDep
) -> TaskDetail:
    return act(sessions, principal, task_id, lifecycle.return_assignment, body.unit, body.reason)


@router.post("/{task_id}/reassign", summary="改派责任单位")
def reassign(
    task_id: TaskId, body: ReassignIn, principal: PrincipalDep, sessions: SessionsDep
) -> TaskDetail:
    return act(
        sessions, principal, task_id, lifecycle.reassign, body.unit, body.new_unit, body.reason
    )


@router.post("/{task_id}/completion-request", summary="申请办结")
def request_completion(
    task_id: TaskId, body: CompletionRequestIn, principal: PrincipalDep, sessions: SessionsDep
) -> TaskDetail:
    return act(sessions, principal, task_id, lifecycle.request_completion, body.unit, body.summary)


@router.post("/{task_id}/completion-decision", summary="审核办结申请（销号或退回）")
def decide_completion(
    task_id: TaskId, body: DecisionIn, principal: PrincipalDep, sessions: SessionsDep
) -> TaskDetail:
    return act(
        sessions, principal, task_id, lifecycle.decide_completion, body.approve, body.comment
    )


@router.post("/{task_id}/suspend", summary="暂停任务")
def suspend(
    task_id: TaskId, body: ReasonIn, principal: PrincipalDep, sessions: SessionsDep
) -> TaskDetail:
    return act(sessions, principal, task_id, lifecycle.suspend, body.reason)


@router.post("/{task_id}/resume", summary="恢复任务")
def resume(
    task_id: TaskId, body: ReasonIn, principal: PrincipalDep, sessions: SessionsDep
) -> TaskDetail:
    return act(sessions, principal, task_id, lifecycle.resume, body.reason)
