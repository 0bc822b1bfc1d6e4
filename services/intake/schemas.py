"""What intake's API returns: a document with everything a reviewer needs on one page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from services.intake import publishing, service
from services.intake.service import DraftTaskIn


class DraftTaskOut(DraftTaskIn):
    position: int
    task_id: str
    units: list[dict[str, Any]]


class DocumentSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    government_id: str
    title: str
    doc_number: str | None
    year: int | None
    kind: str
    status: str
    source: str
    filename: str | None
    revision: int
    created_at: datetime
    published_at: datetime | None
    created_by: str | None = Field(description="谁上传或新建的（令牌名称）")
    published_by: str | None = Field(description="谁发布的（令牌名称）")


class DocumentOut(DocumentSummary):
    format: str | None
    issuer: str | None
    issued_date: date | None
    recipients: str | None
    reporting_requirements: list[str]
    reporting_rounds: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    supersedes_id: str | None
    changes: dict[str, Any] | None
    task_count: int
    tasks: list[DraftTaskOut]


class PublishOut(BaseModel):
    document_id: str
    published_tasks: int


def document_out(session: Session, document_id: str) -> DocumentOut:
    """The document as its reviewer sees it; a draft's warnings include every value beyond
    the contract's bounds, measured now, so a correction clears its warning at once."""
    document = service.get_document(session, document_id)
    rows = service.draft_tasks(session, document_id)
    tasks = [DraftTaskOut.model_validate(t, from_attributes=True) for t in rows]
    summary = DocumentSummary.model_validate(document).model_dump()
    extra = {
        name: getattr(document, name)
        for name in DocumentOut.model_fields
        if name not in summary and name not in ("task_count", "tasks")
    }
    if (document.status, document.kind) == ("draft", "notice"):
        found = publishing.problems(document, rows)
        extra["warnings"] = [*document.warnings, *(w.model_dump() for w in found)]
    return DocumentOut(**summary, **extra, task_count=len(tasks), tasks=tasks)
