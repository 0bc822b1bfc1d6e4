"""The reporting service's HTTP API. Every figure is of one government: the caller's own
(the administrator's, every government's or the one named). Supervisors and leaders see
their government's; a unit (or the OA system mapped to it) the figures of its own tasks."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from services.reporting.models import TaskView
from shared.contracts import limits
from shared.identity.principal import Principal, Role, scoped_government
from shared.identity.verify import PrincipalDep
from shared.web import SessionsDep

router = APIRouter(prefix="/overview", tags=["督查视图"])
UNIT_SCOPED = (Role.UNIT, Role.INTEGRATION)


class Overview(BaseModel):
    task_count: int
    by_status: dict[str, int]
    by_signal: dict[str, int]
    unit_count: int


def _counted(rows: list[tuple[str, str, list[str]]], principal: Principal) -> Overview:
    if principal.role in UNIT_SCOPED:
        mine = set(principal.unit_scope)
        rows = [row for row in rows if mine & set(row[2])]
    return Overview(
        task_count=len(rows),
        by_status=dict(Counter(status for status, _, _ in rows)),
        by_signal=dict(Counter(signal for _, signal, _ in rows)),
        unit_count=len({unit for _, _, units in rows for unit in units}),
    )


@router.get("", summary="总览：任务数、按状态统计、涉及单位数")
def overview(
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: Annotated[
        str | None, Query(max_length=limits.GOVERNMENT_ID, description="管理员可指定政府")
    ] = None,
) -> Overview:
    scope = scoped_government(principal, government)
    query = select(TaskView.status, TaskView.signal, TaskView.units)
    if scope is not None:
        query = query.where(TaskView.government_id == scope)
    with sessions() as session:
        rows = [(status, signal, units) for status, signal, units in session.execute(query)]
    return _counted(rows, principal)
