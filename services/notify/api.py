"""The notify service's HTTP API."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from services.notify.models import Notice
from shared.web import SessionsDep

router = APIRouter(prefix="/notices", tags=["通知"])


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    task_id: str
    unit: str
    recipient_kind: str
    kind: str
    body: str
    due_date: date | None
    status: str
    created_at: datetime


@router.get("", summary="通知列表")
def list_notices(
    sessions: SessionsDep,
    task_id: str | None = None,
    kind: str | None = None,
    recipient: str | None = None,
) -> list[NoticeOut]:
    query = select(Notice).order_by(Notice.id)
    for column, value in ((Notice.task_id, task_id), (Notice.kind, kind), (Notice.unit, recipient)):
        if value:
            query = query.where(column == value)
    with sessions() as session:
        return [NoticeOut.model_validate(n) for n in session.scalars(query)]
