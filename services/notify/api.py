"""The notify service's HTTP API: the messages owed, as each caller may see them. The bureau
sees its government's; a unit (or the OA system mapped to it) the messages sent to it; a
leader those sent to him or her; the administrator every government's, or the one named."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, false, select

from services.notify.models import Notice
from shared.contracts import limits
from shared.identity.principal import BUREAU, Principal, Role, scoped_government
from shared.identity.verify import PrincipalDep
from shared.web import SessionsDep

router = APIRouter(prefix="/notices", tags=["通知"])


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    government_id: str
    task_id: str
    unit: str
    recipient_kind: str
    kind: str
    body: str
    due_date: date | None
    status: str
    created_at: datetime


def visible(query: Select[tuple[Notice]], principal: Principal) -> Select[tuple[Notice]]:
    """The messages a caller of its government may see: the bureau's all of them, anyone
    else's only those addressed to it."""
    if principal.role in BUREAU:
        return query
    if principal.role == Role.LEADER:
        return query.where(Notice.recipient_kind == "leader", Notice.unit == principal.leader)
    units = principal.unit_scope
    if not units:
        return query.where(false())
    return query.where(Notice.recipient_kind == "unit", Notice.unit.in_(units))


@router.get("", summary="通知列表（本政府的；单位、领导只见发给自己的）")
def list_notices(
    principal: PrincipalDep,
    sessions: SessionsDep,
    task_id: str | None = None,
    kind: str | None = None,
    recipient: str | None = None,
    government: Annotated[
        str | None, Query(max_length=limits.GOVERNMENT_ID, description="管理员可指定政府")
    ] = None,
) -> list[NoticeOut]:
    scope = scoped_government(principal, government)
    query = visible(select(Notice).order_by(Notice.id), principal)
    wanted = (
        (Notice.government_id, scope),
        (Notice.task_id, task_id),
        (Notice.kind, kind),
        (Notice.unit, recipient),
    )
    for column, value in wanted:
        if value:
            query = query.where(column == value)
    with sessions() as session:
        return [NoticeOut.model_validate(n) for n in session.scalars(query)]
