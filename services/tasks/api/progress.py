"""Progress reports: the pre-filled draft, submission (idempotent), review."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.tasks import progress
from services.tasks.api.deps import PrincipalDep
from services.tasks.api.schemas import ReportOut, ReviewIn, RoundOut
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


@router.post("/tasks/{task_id}/progress", status_code=201, summary="报送进展")
def submit(
    task_id: str,
    body: ProgressIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ReportOut:
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
    response.status_code = 201 if created else 200
    return out


@router.post("/progress/{report_id}/review", summary="审核进展报告（采纳或退回）")
def review(
    report_id: str, body: ReviewIn, principal: PrincipalDep, sessions: SessionsDep
) -> ReportOut:
    with sessions.begin() as session:
        report = progress.review(session, principal, report_id, body.accept, body.comment)
        return ReportOut.model_validate(report)
