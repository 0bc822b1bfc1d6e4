"""Intake's HTTP API."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from services.intake import service
from services.intake.service import DocumentIn, DraftTaskIn, NotFound
from shared.web import SessionsDep

router = APIRouter(prefix="/documents", tags=["文件"])


class DocumentOut(BaseModel):
    id: str
    title: str
    doc_number: str | None
    year: int | None
    status: str
    created_at: datetime
    published_at: datetime | None
    tasks: list[DraftTaskIn]


class PublishOut(BaseModel):
    document_id: str
    published_tasks: int


def _not_found(document_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"找不到文件 {document_id}")


@router.post("", status_code=status.HTTP_201_CREATED, summary="新建文件草稿")
def create_document(body: DocumentIn, sessions: SessionsDep) -> DocumentOut:
    with sessions.begin() as session:
        document = service.create_document(session, body)
        session.flush()
        return _document_out(session, document.id)


@router.get("/{document_id}", summary="查看文件及其任务草稿")
def get_document(document_id: str, sessions: SessionsDep) -> DocumentOut:
    with sessions() as session:
        try:
            return _document_out(session, document_id)
        except NotFound:
            raise _not_found(document_id) from None


@router.post("/{document_id}/publish", summary="发布文件：每项任务发出 task.defined 事件")
def publish_document(document_id: str, sessions: SessionsDep) -> PublishOut:
    with sessions.begin() as session:
        try:
            count = service.publish_document(session, document_id)
        except NotFound:
            raise _not_found(document_id) from None
    return PublishOut(document_id=document_id, published_tasks=count)


def _document_out(session: Session, document_id: str) -> DocumentOut:
    document = service.get_document(session, document_id)
    tasks = [
        DraftTaskIn.model_validate(t, from_attributes=True)
        for t in service.draft_tasks(session, document_id)
    ]
    return DocumentOut(
        id=document.id,
        title=document.title,
        doc_number=document.doc_number,
        year=document.year,
        status=document.status,
        created_at=document.created_at,
        published_at=document.published_at,
        tasks=tasks,
    )
