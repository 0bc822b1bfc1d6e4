"""Progress reports: the pre-filled draft, submission (idempotent), review."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.tasks import progress
from services.tasks.api.deps import PrincipalDep, SettingsDep
from services.tasks.api.schemas import ReportOut, ReviewIn, RoundOut
from services.tasks.auth import Principal
from services.tasks.models import ReportingRound
from services.tasks.progress import ProgressIn
from shared.web import SessionsDep

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
    task_id: str, unit: str, principal: PrincipalDep, sessions: SessionsDep
) -> dict[str, Any]:
    with sessions() as session:
        return progress.draft(session, principal, task_id, unit)


def submit_limiter(request: Request, settings: SettingsDep) -> anyio.CapacityLimiter:
    """Submissions are short transactions that keep the CPU busy (the GIL in Python,
    PostgreSQL next to it): a few at a time get through faster than forty threads taking
    turns. One limiter per app, sized by DUBAN_TASKS_SUBMIT_THREADS."""
    state = request.app.state
    if getattr(state, "submit_limiter", None) is None:
        state.submit_limiter = anyio.CapacityLimiter(settings.submit_threads)
    return state.submit_limiter


@router.post("/tasks/{task_id}/progress", status_code=201, summary="报送进展")
async def submit(
    task_id: str,
    body: ProgressIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
    response: Response,
    limiter: Annotated[anyio.CapacityLimiter, Depends(submit_limiter)],
    idempotency_key: IdempotencyKey = None,
) -> ReportOut:
    out, created = await anyio.to_thread.run_sync(
        _submit, sessions, principal, task_id, body, idempotency_key, limiter=limiter
    )
    response.status_code = 201 if created else 200
    return out


def _submit(
    sessions: sessionmaker[Session],
    principal: Principal,
    task_id: str,
    body: ProgressIn,
    idempotency_key: str | None,
) -> tuple[ReportOut, bool]:
    for attempt in range(2):
        try:
            with sessions.begin() as session:
                report, created = progress.submit(
                    session, principal, task_id, body, idempotency_key
                )
                out = ReportOut.model_validate(report)
            break
        except IntegrityError:
            if attempt or not idempotency_key:
                raise  # a parallel retry won the race: read its report on the second pass
    return out, created


@router.post("/progress/{report_id}/review", summary="审核进展报告（采纳或退回）")
def review(
    report_id: str, body: ReviewIn, principal: PrincipalDep, sessions: SessionsDep
) -> ReportOut:
    with sessions.begin() as session:
        report = progress.review(session, principal, report_id, body.accept, body.comment)
        return ReportOut.model_validate(report)
