"""Intake's logic. Takes a session, never commits: the API owns the transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.intake.models import Document, DraftTask
from shared.contracts.intake import Deadline, DocumentPublishedV1, TaskDefinedV1
from shared.messaging.outbox import add_event


class DraftTaskIn(BaseModel):
    number: str = Field(min_length=1, max_length=40, description="序号，如（三）或 12")
    path: list[str] = Field(default_factory=list, description="所属章节标题，由外到内")
    text: str = Field(min_length=1, description="任务内容")
    leaders: list[str] = Field(default_factory=list, description="责任领导")
    lead_units: list[str] = Field(default_factory=list, description="牵头单位")
    responsible_units: list[str] = Field(default_factory=list, description="责任单位")
    cooperating_units: list[str] = Field(default_factory=list, description="配合单位")
    deadlines: list[Deadline] = Field(default_factory=list, description="时间节点")


class DocumentIn(BaseModel):
    title: str = Field(min_length=1, max_length=500, description="文件标题")
    doc_number: str | None = Field(None, max_length=100, description="文号")
    year: int | None = Field(None, ge=2000, le=2100, description="年度")
    tasks: list[DraftTaskIn] = Field(min_length=1, description="任务清单")


class NotFound(LookupError):
    """No such document."""


def create_document(session: Session, draft: DocumentIn) -> Document:
    document = Document(
        id=str(uuid.uuid4()),
        title=draft.title,
        doc_number=draft.doc_number,
        year=draft.year,
        status="draft",
        created_at=datetime.now(UTC),
    )
    session.add(document)
    for position, task in enumerate(draft.tasks, start=1):
        session.add(
            DraftTask(
                id=f"{document.id}-{position:03d}",
                document_id=document.id,
                position=position,
                **task.model_dump(mode="json"),
            )
        )
    return document


def get_document(session: Session, document_id: str) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(document_id)
    return document


def draft_tasks(session: Session, document_id: str) -> list[DraftTask]:
    return list(
        session.scalars(
            select(DraftTask)
            .where(DraftTask.document_id == document_id)
            .order_by(DraftTask.position)
        )
    )


def publish_document(session: Session, document_id: str) -> int:
    """Publish once: a second call finds the document published and emits nothing."""
    document = get_document(session, document_id)
    if document.status == "published":
        return 0
    tasks = draft_tasks(session, document_id)
    for task in tasks:
        add_event(session, _task_defined(task))
    add_event(
        session,
        DocumentPublishedV1(
            document_id=document.id,
            doc_number=document.doc_number,
            title=document.title,
            year=document.year,
            task_count=len(tasks),
        ),
    )
    document.status = "published"
    document.published_at = datetime.now(UTC)
    return len(tasks)


def _task_defined(task: DraftTask) -> TaskDefinedV1:
    return TaskDefinedV1(
        task_id=task.id,
        document_id=task.document_id,
        number=task.number,
        path=task.path,
        text=task.text,
        leaders=task.leaders,
        lead_units=task.lead_units,
        responsible_units=task.responsible_units,
        cooperating_units=task.cooperating_units,
        deadlines=[Deadline.model_validate(d) for d in task.deadlines],
    )
