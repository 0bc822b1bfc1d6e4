"""Publishing a reviewed draft: one ``task.defined`` per task (only changed and added ones
for a corrected notice, plus ``task.withdrawn`` for dropped ones) and one
``document.published``, all through the outbox in the caller's transaction.

Every event is validated against its contract as it is built; before anything is written the
whole draft is, so a value beyond the contract's bounds refuses the notice whole
(``OutOfBounds``) instead of handing the tasks service an event it cannot store."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from sqlalchemy.orm import Session

from services.intake import bounds, changes
from services.intake.models import Document, DraftTask
from services.intake.parsing import ParseWarning
from services.intake.service import OutOfBounds, Refused, draft_tasks, get_document
from shared.contracts import Event
from shared.contracts.intake import DocumentPublishedV1, TaskDefinedV1, TaskWithdrawnV1
from shared.messaging.outbox import add_events


def publish_document(session: Session, document_id: str, actor: str) -> int:
    """Publish once: a second call finds the document published and emits nothing. ``actor``
    (a token's name) goes with every task, so the task's timeline names who published."""
    document = get_document(session, document_id)
    if document.status == "discarded":
        raise Refused("该草稿已丢弃，不能发布；如仍需要，请重新上传通知。")
    if document.status != "draft":
        return 0
    document.published_by = actor
    if document.kind != "notice":
        raise Refused("这是工作报告，不是任务分解通知，不能直接发布；请据此起草任务分解通知。")
    tasks = draft_tasks(session, document_id)
    _check_publishable(tasks)
    if found := problems(document, tasks):
        raise OutOfBounds([problem.message for problem in found])
    skip = changes.unchanged_ids(document.changes, tasks) if document.changes else set()
    published = [t for t in tasks if t.task_id not in skip]
    events: list[Event] = [_task_defined(task, document) for task in published]
    events += [
        TaskWithdrawnV1(
            task_id=gone["task_id"],
            document_id=document.id,
            reason=f"更正后的通知删除了第 {gone['number']} 项任务",
            actor=actor,
        )
        for gone in (document.changes or {}).get("removed", [])
    ]
    events.append(_document_published(document, len(tasks)))
    add_events(session, events)
    if document.supersedes_id:
        get_document(session, document.supersedes_id).status = "superseded"
    document.status = "published"
    document.published_at = datetime.now(UTC)
    return len(published)


def _check_publishable(tasks: list[DraftTask]) -> None:
    orphans = [t.number for t in tasks if not (t.lead_units or t.responsible_units)]
    if orphans:
        raise Refused(f"以下任务没有牵头单位或责任单位，请补充后再发布：{'、'.join(orphans)}")


def problems(document: Document, tasks: list[DraftTask]) -> list[ParseWarning]:
    """Every value of the draft beyond its contract's bounds: the review page lists them,
    publishing refuses the notice while any remains."""
    found = bounds.problems(partial(_document_published, document, len(tasks)), "文件", None)
    for task in tasks:
        build = partial(_task_defined, task, document)
        found += bounds.problems(build, f"第{task.position}项任务", task.number)
    return found


def normalised_units(task: DraftTask, role: str, printed: list[str]) -> list[str]:
    """The names units go out under: the shared prefix made explicit (县财政局、统计局 →
    县统计局) and aliases resolved, as the parser normalised them. A name the reviewer
    typed in by hand goes out as typed."""
    names = {u["verbatim"]: u["name"] for u in task.units if u.get("role") == role}
    return list(dict.fromkeys(names.get(name, name) for name in printed))


def _task_defined(task: DraftTask, document: Document) -> TaskDefinedV1:
    return TaskDefinedV1.model_validate(
        {
            "task_id": task.task_id,
            "document_id": document.id,
            "government_id": document.government_id,
            "number": task.number,
            "path": task.path,
            "text": task.text,
            "leaders": task.leaders,
            "lead_units": normalised_units(task, "lead", task.lead_units),
            "responsible_units": normalised_units(task, "responsible", task.responsible_units),
            "cooperating_units": normalised_units(task, "cooperating", task.cooperating_units),
            "deadlines": task.deadlines,  # validated in place: an error names the time node
            "targets": task.targets,
            "year": document.year,
            "revision": document.revision,
            "actor": document.published_by,
        }
    )


def _document_published(document: Document, task_count: int) -> DocumentPublishedV1:
    return DocumentPublishedV1(
        document_id=document.id,
        government_id=document.government_id,
        doc_number=document.doc_number,
        title=document.title,
        year=document.year,
        task_count=task_count,
        issuer=document.issuer,
        issued_date=document.issued_date,
        reporting_dates=[r["date"] for r in document.reporting_rounds],
        supersedes=document.supersedes_id,
    )
