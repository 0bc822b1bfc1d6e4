"""What intake's API returns: a document with everything a reviewer needs on one page."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy.orm import Session

from services.intake import publishing, service


def _date_or_none(value: Any) -> Any:
    """A stored date as a date; one that is not (an old parser's) as none, not a failure."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


class DeadlineOut(BaseModel):
    phrase: str = Field("", description="原文，如 6月底前")
    date: Annotated[dt.date | None, BeforeValidator(_date_or_none)] = Field(
        None, description="日期；无法确定时为 null"
    )
    about: str = ""


class TargetOut(BaseModel):
    phrase: str = Field("", description="原文")
    subject: str = ""
    comparator: str = Field("=", description="≥、≤、= 或 ≈")
    value: float | None = None
    value_max: float | None = None
    unit: str = ""


class DraftTaskOut(BaseModel):
    """A draft task as stored: whatever the parser or a reviewer put there, shown as it is
    (lax, so that no stored value can make the review page fail)."""

    model_config = ConfigDict(from_attributes=True)

    position: int
    task_id: str
    number: str
    path: list[str]
    text: str
    leaders: list[str]
    lead_units: list[str]
    responsible_units: list[str]
    cooperating_units: list[str]
    deadlines: list[DeadlineOut]
    targets: list[TargetOut]
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
    discarded_by: str | None = Field(None, description="谁丢弃的草稿")
    discarded_at: datetime | None = None


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
    text: str | None = Field(None, description="通知原文（从文件读出的文字）")
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
