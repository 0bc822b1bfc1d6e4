"""Intake's logic: take in a notice, keep its draft, publish it. Takes a session, never
commits: the API owns the transaction, so a failure anywhere stores nothing."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.intake import changes
from services.intake.models import DirectoryUnit, Document, DraftTask
from services.intake.parsing import ParsedNotice, UnitDirectory, parse_notice
from services.intake.parsing.model import Comparator, ParsedTask, ParseWarning
from services.intake.parsing.review import reviewed
from services.intake.readers import ReadError, read_document
from shared.contracts import limits
from shared.validation import ApiModel, Day

# What a clerk types into a draft. A draft holds any length a column can take (free text up
# to ``limits.TEXT``); publishing holds it to the contract's bounds (``publishing.problems``)
# and tells the reviewer which value is too long. Figures are finite and of sane size.
Figure = Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15)]


class DraftDeadline(ApiModel):
    """A time node as the draft keeps it: the parser's, with a real date."""

    phrase: str = Field(max_length=limits.TEXT, description="原文，如 6月底前")
    date: Day | None = Field(description="日期（YYYY-MM-DD，1900—2100 年）；无法确定时为 null")
    about: str = Field("", max_length=limits.TEXT, description="所指事项")


class DraftTarget(ApiModel):
    """A quantified goal as the draft keeps it (the parser's ``Target``)."""

    phrase: str = Field(max_length=limits.TEXT, description="原文，如 新增就业7400人以上")
    subject: str = Field("", max_length=limits.TEXT, description="指标")
    comparator: Comparator = Field("=", description="≥、≤、= 或 ≈")
    value: Figure = Field(description="目标值")
    value_max: Figure | None = Field(None, description="区间目标的上限")
    unit: str = Field("", max_length=limits.TEXT, description="计量单位，如 亿元")


class DraftTaskIn(ApiModel):
    number: str = Field(min_length=1, max_length=limits.NUMBER, description="序号，如（三）或 12")
    path: list[str] = Field(default_factory=list, description="所属章节标题，由外到内")
    text: str = Field(min_length=1, description="任务内容")
    leaders: list[str] = Field(default_factory=list, description="责任领导")
    lead_units: list[str] = Field(default_factory=list, description="牵头单位")
    responsible_units: list[str] = Field(default_factory=list, description="责任单位")
    cooperating_units: list[str] = Field(default_factory=list, description="配合单位")
    deadlines: list[DraftDeadline] = Field(default_factory=list, description="时间节点")
    targets: list[DraftTarget] = Field(default_factory=list, description="量化目标")


class DraftTaskPatch(ApiModel):
    """Only the fields given are changed."""

    number: str | None = Field(None, min_length=1, max_length=limits.NUMBER)
    path: list[str] | None = None
    text: str | None = Field(None, min_length=1)
    leaders: list[str] | None = None
    lead_units: list[str] | None = None
    responsible_units: list[str] | None = None
    cooperating_units: list[str] | None = None
    deadlines: list[DraftDeadline] | None = None
    targets: list[DraftTarget] | None = None


class DocumentIn(ApiModel):
    government_id: str = Field(
        "default", max_length=limits.GOVERNMENT_ID, description="政府（租户）标识"
    )
    title: str = Field(min_length=1, max_length=limits.TITLE, description="文件标题")
    doc_number: str | None = Field(None, max_length=limits.DOC_NUMBER, description="文号")
    year: int | None = Field(None, ge=2000, le=2100, description="年度")
    tasks: list[DraftTaskIn] = Field(min_length=1, description="任务清单")


class TooManyTasks(ValueError):
    """A notice of more tasks than one notice may hold; the message says how many."""


class NotFound(LookupError):
    """No such document or task."""


class Refused(ValueError):
    """The request is understood but not allowed now; the message tells the clerk why."""


class OutOfBounds(Refused):
    """The draft holds values beyond the bounds of the contract it would be published under;
    ``problems`` names each, in the reviewer's words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems) + "。请修改后再发布。")
        self.problems = problems


def create_document(session: Session, draft: DocumentIn, actor: str) -> Document:
    document = Document(
        id=str(uuid.uuid4()),
        created_by=actor,
        government_id=draft.government_id,
        title=draft.title,
        doc_number=draft.doc_number,
        year=draft.year,
        status="draft",
        created_at=datetime.now(UTC),
    )
    session.add(document)
    _add_tasks(session, document, [t.model_dump(mode="json") for t in draft.tasks])
    return document


def ingest(
    session: Session,
    data: bytes,
    filename: str,
    source: str,
    max_bytes: int,
    government_id: str,
    actor: str,
    *,
    max_chars: int | None = None,
    max_tasks: int | None = None,
) -> tuple[Document, bool]:
    """Read and parse a file into a draft. The same bytes give the same document (False).

    A text longer than ``max_chars`` is refused before it is parsed (ReadError too_large),
    so parsing, linear in the text, holds a worker a bounded time; a notice of more than
    ``max_tasks`` tasks is refused after (TooManyTasks)."""
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalar(
        select(Document).where(Document.sha256 == digest, Document.government_id == government_id)
    )
    if existing is not None:
        return existing, False
    extracted = read_document(data, filename, max_bytes=max_bytes)
    if max_chars is not None and len(extracted.text) > max_chars:
        message = (
            f"通知全文有 {len(extracted.text)} 字，超过 {max_chars} 字的上限。"
            "请只提交任务分解通知的正文，或拆分后分别提交。"
        )
        raise ReadError("too_large", message)
    directory = unit_directory(session, government_id)
    parsed = parse_notice(extracted.text, file=filename, directory=directory)
    if max_tasks is not None and len(parsed.tasks) > max_tasks:
        raise TooManyTasks(
            f"通知中解析出 {len(parsed.tasks)} 项任务，超过每份通知 {max_tasks} 项的上限。"
            "请拆分为多份通知分别提交。"
        )
    document = _document_from(parsed, digest, filename, extracted.format, source)
    document.government_id, document.created_by = government_id, actor
    document.text = extracted.text
    session.add(document)
    tasks = _add_tasks(session, document, [_task_fields(t) for t in parsed.tasks])
    _link_to_previous(session, document, tasks)
    return document, True


def unit_directory(session: Session, government_id: str) -> UnitDirectory | None:
    """The government's directory as the parser wants it; None while it is empty."""
    rows = session.scalars(
        select(DirectoryUnit).where(DirectoryUnit.government_id == government_id)
    ).all()
    if not rows:
        return None
    return UnitDirectory(
        names=frozenset(r.name for r in rows if r.kind == "unit"),
        aliases={alias: r.name for r in rows for alias in r.aliases},
        groups={r.name: r.members for r in rows if r.kind == "group"},
    )


def _document_from(
    parsed: ParsedNotice, digest: str, filename: str, fmt: str, source: str
) -> Document:
    return Document(
        id=str(uuid.uuid4()),
        title=parsed.title or filename or "未命名文件",
        doc_number=parsed.doc_number,
        year=parsed.year,
        status="draft",
        created_at=datetime.now(UTC),
        sha256=digest,
        filename=filename or None,
        format=fmt,
        source=source,
        kind=parsed.kind,
        issuer=parsed.issuer,
        issued_date=date.fromisoformat(parsed.issued_date) if parsed.issued_date else None,
        recipients=parsed.recipients,
        reporting_requirements=parsed.reporting_requirements,
        reporting_rounds=[r.model_dump() for r in parsed.reporting_rounds],
        targets=[t.model_dump() for t in parsed.targets],
        warnings=[w.model_dump() for w in parsed.warnings],
    )


def _task_fields(task: Any) -> dict[str, Any]:
    return task.model_dump(include=set(DraftTaskIn.model_fields) | {"units"})


def _add_tasks(session: Session, document: Document, rows: list[dict[str, Any]]) -> list[DraftTask]:
    tasks = []
    for position, fields in enumerate(rows, start=1):
        row_id = f"{document.id}-{position:03d}"
        task = DraftTask(
            id=row_id, task_id=row_id, document_id=document.id, position=position, **fields
        )
        session.add(task)
        tasks.append(task)
    return tasks


def _link_to_previous(session: Session, document: Document, tasks: list[DraftTask]) -> None:
    """A corrected notice (same 文号, or same title and year) supersedes the published one."""
    if document.kind != "notice":
        return
    query = select(Document).where(
        Document.status == "published",
        Document.kind == "notice",
        Document.government_id == document.government_id,
    )
    if document.doc_number:
        query = query.where(Document.doc_number == document.doc_number)
    else:
        query = query.where(Document.title == document.title, Document.year == document.year)
    previous = session.scalar(query.order_by(Document.revision.desc()).limit(1))
    if previous is None:
        return
    old_tasks = draft_tasks(session, previous.id)
    changes.carry_over_ids(old_tasks, tasks)
    document.supersedes_id = previous.id
    document.revision = previous.revision + 1
    document.changes = changes.diff_tasks(old_tasks, tasks)


def editable(session: Session, document_id: str) -> Document:
    """A draft; a published or discarded document is refused, saying what to do instead."""
    document = get_document(session, document_id)
    if document.status == "discarded":
        raise Refused("该草稿已丢弃；如仍需要，请重新上传通知。")
    if document.status != "draft":
        raise Refused("文件已发布，不能再修改草稿；如需更正，请上传更正后的通知。")
    return document


def discard(session: Session, document_id: str, actor: str) -> Document:
    """Set a draft aside for good, keeping its record (who, when); its bytes no longer name
    it, so the same file can be taken in again as a new draft."""
    document = editable(session, document_id)
    document.status, document.sha256 = "discarded", None
    document.discarded_by, document.discarded_at = actor, datetime.now(UTC)
    return document


def _review_again(session: Session, document: Document) -> None:
    """After a correction, the units and warnings the parser would give the corrected draft
    (``parsing.review``): a changed unit list is normalised and checked against the
    directory again, a warning that no longer holds goes, a new one appears."""
    session.flush()
    rows = draft_tasks(session, document.id)
    fields = set(ParsedTask.model_fields) - {"contacts"}
    tasks = [ParsedTask.model_validate({f: getattr(row, f) for f in fields}) for row in rows]
    warnings = [ParseWarning.model_validate(w) for w in document.warnings or []]
    directory = unit_directory(session, document.government_id)
    result = reviewed(tasks, warnings, document.issuer, directory)
    for row, task in zip(rows, result.tasks, strict=True):
        row.units = [ref.model_dump() for ref in task.units]
    document.warnings = [w.model_dump() for w in result.warnings]


def get_document(session: Session, document_id: str) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"找不到文件 {document_id}")
    return document


def draft_tasks(session: Session, document_id: str) -> list[DraftTask]:
    return list(
        session.scalars(
            select(DraftTask)
            .where(DraftTask.document_id == document_id)
            .order_by(DraftTask.position)
        )
    )


def list_documents(session: Session, government_id: str | None) -> list[Document]:
    """Newest first, of one government (None: of every government, for the administrator)."""
    query = select(Document).order_by(Document.created_at.desc())
    if government_id is not None:
        query = query.where(Document.government_id == government_id)
    return list(session.scalars(query))


def edit_task(
    session: Session, document_id: str, position: int, patch: DraftTaskPatch
) -> DraftTask:
    document = editable(session, document_id)
    task = session.scalar(
        select(DraftTask).where(
            DraftTask.document_id == document_id, DraftTask.position == position
        )
    )
    if task is None:
        raise NotFound(f"文件中没有第 {position} 项任务")
    for name, value in patch.model_dump(exclude_unset=True, mode="json").items():
        if value is not None:
            setattr(task, name, value)
    _review_again(session, document)
    if document.supersedes_id:
        session.flush()
        old = draft_tasks(session, document.supersedes_id)
        document.changes = changes.diff_tasks(old, draft_tasks(session, document_id))
    return task
