"""Progress reports: the rounds, the pre-filled draft, submission (idempotent), review."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from sqlalchemy import select

from services.tasks.access.principal import Principal
from services.tasks.lifecycle.routes import TaskId
from services.tasks.lifecycle.schemas import ReportOut, ReviewIn, RoundOut
from services.tasks.progress import service, submission
from services.tasks.progress.schemas import ProgressIn
from services.tasks.registration.models import ReportingRound
from services.tasks.settings import tasks_settings
from shared.contracts import limits
from shared.identity.verify import PrincipalDep
from shared.service import ServiceRuntime
from shared.web import RuntimeDep, SessionsDep

router = APIRouter(tags=["进展报送"])
IdempotencyKey = Annotated[
    str | None, Header(max_length=150, description="重试时带同一个值，不会重复报送")
]


@router.get("/rounds", summary="报送轮次（按文件）")
def rounds(document_id: str, principal: PrincipalDep, sessions: SessionsDep) -> list[RoundOut]:
    with sessions() as session:
        rows = session.scalars(
            select(ReportingRound)
            .where(ReportingRound.document_id == document_id)
            .order_by(ReportingRound.due_date)
        ).all()
        return [
            RoundOut.model_validate(r) for r in rows if principal.sees_government(r.government_id)
        ]


@router.get("/tasks/{task_id}/progress/draft", summary="新报送的预填内容（沿用本单位上次报送）")
def draft(
    task_id: TaskId,
    unit: Annotated[str, Query(max_length=limits.UNIT_NAME)],
    principal: PrincipalDep,
    sessions: SessionsDep,
) -> dict[str, Any]:
    with sessions() as session:
        return service.draft(session, principal, task_id, unit)


def submit_executor(request: Request) -> ThreadPoolExecutor:
    """Submissions are short transactions that keep the CPU busy (the GIL in Python,
    PostgreSQL next to it): a few threads at a time get through faster than forty taking
    turns. One pool per app, sized by DUBAN_TASKS_SUBMIT_THREADS; a plain executor is also a
    cheaper hop than anyio's limited worker threads."""
    state = request.app.state
    if getattr(state, "submit_executor", None) is None:
        state.submit_executor = ThreadPoolExecutor(
            tasks_settings().submit_threads, thread_name_prefix="submit"
        )
    return state.submit_executor


@router.post(
    "/tasks/{task_id}/progress",
    status_code=201,
    response_model=ReportOut,
    responses={200: {"model": ReportOut, "description": "重试的报送：返回第一次的结果"}},
    summary="报送进展",
)
async def submit(
    task_id: TaskId,
    body: ProgressIn,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    out, created = await asyncio.get_running_loop().run_in_executor(
        submit_executor(request), _submit, runtime, principal, task_id, body, idempotency_key
    )
    # Already a validated ReportOut: serialised once here, not checked again by FastAPI.
    return Response(
        out.model_dump_json(), status_code=201 if created else 200, media_type="application/json"
    )


def _submit(
    runtime: ServiceRuntime,
    principal: Principal,
    task_id: TaskId,
    body: ProgressIn,
    idempotency_key: str | None,
) -> tuple[ReportOut, bool]:
    report, created = submission.submit(runtime.engine, principal, task_id, body, idempotency_key)
    if created:
        runtime.relay.wake()
    return ReportOut.model_validate(report), created


@router.post("/progress/{report_id}/review", summary="审核进展报告（采纳或退回）")
def review(
    report_id: Annotated[str, Path(max_length=limits.UUID)],
    body: ReviewIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
) -> ReportOut:
    with sessions.begin() as session:
        report = service.review(session, principal, report_id, body.accept, body.comment)
        return ReportOut.model_validate(report)
