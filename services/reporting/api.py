"""The reporting service's HTTP API."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select

from services.reporting.models import TaskView
from shared.web import SessionsDep

router = APIRouter(prefix="/overview", tags=["督查视图"])


class Overview(BaseModel):
    task_count: int
    by_status: dict[str, int]
    by_signal: dict[str, int]
    unit_count: int


@router.get("", summary="总览：任务数、按状态统计、涉及单位数")
def overview(sessions: SessionsDep) -> Overview:
    with sessions() as session:
        rows = session.execute(
            select(TaskView.status, func.count()).group_by(TaskView.status)
        ).all()
        by_status = {status: count for status, count in rows}
        signals = session.execute(
            select(TaskView.signal, func.count()).group_by(TaskView.signal)
        ).all()
        by_signal = {signal: count for signal, count in signals}
        units = {u for row in session.scalars(select(TaskView.units)) for u in row}
    return Overview(
        task_count=sum(by_status.values()),
        by_status=by_status,
        by_signal=by_signal,
        unit_count=len(units),
    )
