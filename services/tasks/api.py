"""The tasks service's HTTP API."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from services.tasks.models import Task
from shared.web import SessionsDep

router = APIRouter(prefix="/tasks", tags=["任务"])


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    document_id: str
    number: str
    text: str
    units: list[str]
    status: str
    registered_at: datetime


@router.get("", summary="任务列表")
def list_tasks(sessions: SessionsDep, document_id: str | None = None) -> list[TaskOut]:
    query = select(Task).order_by(Task.document_id, Task.id)
    if document_id:
        query = query.where(Task.document_id == document_id)
    with sessions() as session:
        return [TaskOut.model_validate(t) for t in session.scalars(query)]


@router.get("/{task_id}", summary="任务详情")
def get_task(task_id: str, sessions: SessionsDep) -> TaskOut:
    with sessions() as session:
        task = session.get(Task, task_id)
        if task is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"找不到任务 {task_id}")
        return TaskOut.model_validate(task)
