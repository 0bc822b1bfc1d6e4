"""The notify service's HTTP API."""

from __future__ import annotations

from datetime import datetime

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
    kind: str
    status: str
    created_at: datetime


@router.get("", summary="通知列表")
def list_notices(sessions: SessionsDep, task_id: str | None = None) -> list[NoticeOut]:
    query = select(Notice).order_by(Notice.id)
    if task_id:
        query = query.where(Notice.task_id == task_id)
    with sessions() as session:
        return [NoticeOut.model_validate(n) for n in session.scalars(query)]
