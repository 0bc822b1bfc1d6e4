"""Progress reports (报送进展): a unit submits, the bureau accepts or returns with a comment.

A new report starts pre-filled from the unit's last one, so nothing is typed twice. A retried
submission with the same ``Idempotency-Key`` returns the first report and changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.auth import Principal, require_role, require_unit
from services.tasks.lifecycle import (
    ACTIVE,
    Conflict,
    NotFound,
    find_assignment,
    get_task,
    set_status,
)
from services.tasks.models import Indicator, ProgressReport, ReportingRound, Task
from services.tasks.signal_updates import refresh_signal
from shared.contracts.tasks import ProgressReviewedV1, ProgressSubmittedV1
from shared.messaging.outbox import add_event


class ProgressIn(BaseModel):
    unit: str = Field(min_length=1, max_length=200, description="报送单位")
    done: str = Field("", max_length=20000, description="已完成的工作")
    next_steps: str = Field("", max_length=20000, description="下一步计划")
    problems: str = Field("", max_length=20000, description="存在的问题")
    support_needed: str = Field("", max_length=20000, description="需要协调解决的事项")
    percent: int = Field(ge=0, le=100, description="完成进度（%）")
    indicator_actuals: dict[int, float] = Field(
        default_factory=dict, description="指标实际值：{指标编号: 数值}"
    )
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, description="附件信息（文件名、大小、存储位置）"
    )


def current_round(session: Session, task: Task, today: datetime) -> ReportingRound | None:
    """The first round of the task's document not yet due; after the last, the last one."""
    rounds = session.scalars(
        select(ReportingRound)
        .where(ReportingRound.document_id == task.document_id)
        .order_by(ReportingRound.due_date)
    ).all()
    upcoming = [r for r in rounds if r.due_date >= today.date()]
    return upcoming[0] if upcoming else (rounds[-1] if rounds else None)


def submit(
    session: Session,
    principal: Principal,
    task_id: str,
    body: ProgressIn,
    idempotency_key: str | None,
) -> tuple[ProgressReport, bool]:
    """Returns the report and whether it is new (False: a retried submission). Every rule
    of a submission lives here; progress_pg.submit_fast takes the plain case on PostgreSQL."""
    scoped_key = f"{principal.identity}:{idempotency_key}" if idempotency_key else None
    if scoped_key:
        earlier = session.scalar(
            select(ProgressReport).where(ProgressReport.idempotency_key == scoped_key)
        )
        if earlier is not None:
            if (earlier.task_id, earlier.unit) != (task_id, body.unit):
                raise Conflict("该 Idempotency-Key 已用于另一项报送，请换一个")
            return earlier, False
    task = get_task(session, principal, task_id)
    require_unit(principal, body.unit)
    find_assignment(session, task, body.unit)
    if task.status not in (*ACTIVE, "suspended"):
        raise Conflict("任务已办结或已撤销，不再接收进展")
    now = datetime.now(UTC)
    round_ = current_round(session, task, now)
    report = ProgressReport(
        id=str(uuid.uuid4()),
        task_id=task.id,
        unit=body.unit,
        round_id=round_.id if round_ else None,
        done=body.done,
        next_steps=body.next_steps,
        problems=body.problems,
        support_needed=body.support_needed,
        percent=body.percent,
        indicator_actuals={str(k): v for k, v in body.indicator_actuals.items()},
        attachments=body.attachments,
        submitted_by=principal.name,
        submitted_at=now,
        status="submitted",
        idempotency_key=scoped_key,
    )
    session.add(report)
    apply_actuals(session, task, body.indicator_actuals, now)
    task.percent_done, task.updated_at = max(task.percent_done, body.percent), now
    audit.record(
        session,
        government_id=task.government_id,
        actor=principal.name,
        action="progress.submitted",
        entity="progress_report",
        task_id=task.id,
        entity_id=report.id,
        after={"unit": body.unit, "percent": body.percent},
    )
    if task.status in ("assigned", "acknowledged"):
        set_status(session, task, "in_progress", f"{body.unit}报送进展", principal.name)
    add_event(
        session,
        ProgressSubmittedV1(
            report_id=report.id,
            task_id=task.id,
            government_id=task.government_id,
            unit=body.unit,
            period=round_.period if round_ else None,
            percent=body.percent,
            submitted_at=now,
        ),
    )
    session.flush()
    refresh_signal(session, task)
    return report, True


def apply_actuals(session: Session, task: Task, actuals: dict[int, float], now: datetime) -> None:
    for indicator_id, value in actuals.items():
        indicator = session.get(Indicator, indicator_id)
        if indicator is None or indicator.task_id != task.id:
            raise NotFound(f"任务 {task.number} 没有编号为 {indicator_id} 的指标")
        indicator.actual_value, indicator.actual_at = value, now


def draft(session: Session, principal: Principal, task_id: str, unit: str) -> dict[str, Any]:
    """What a new report starts from: the unit's last report, or empty fields."""
    task = get_task(session, principal, task_id)
    require_unit(principal, unit)
    find_assignment(session, task, unit)
    last = session.scalar(
        select(ProgressReport)
        .where(
            ProgressReport.task_id == task.id,
            ProgressReport.unit == unit,
        )
        .order_by(ProgressReport.submitted_at.desc())
        .limit(1)
    )
    fields = (
        "done",
        "next_steps",
        "problems",
        "support_needed",
        "percent",
        "indicator_actuals",
        "attachments",
    )
    start = (
        {f: getattr(last, f) for f in fields}
        if last
        else ProgressIn(unit=unit, percent=0).model_dump(include=set(fields))
    )
    return {"unit": unit, "based_on": last.id if last else None, **start}


def review(
    session: Session, principal: Principal, report_id: str, accept: bool, comment: str
) -> ProgressReport:
    require_role(principal, "supervisor")
    report = session.get(ProgressReport, report_id)
    if report is None:
        raise NotFound(f"找不到进展报告 {report_id}")
    task = get_task(session, principal, report.task_id)
    if report.status != "submitted":
        raise Conflict("该进展报告已审核")
    if not accept and not comment.strip():
        raise Conflict("退回进展报告必须填写意见")
    status = "accepted" if accept else "returned"
    audit.record(
        session,
        government_id=task.government_id,
        actor=principal.name,
        action=f"progress.{status}",
        entity="progress_report",
        task_id=task.id,
        entity_id=report.id,
        before={"status": report.status},
        after={"status": status, "comment": comment},
    )
    report.status, report.review_comment = status, comment
    report.reviewed_by, report.reviewed_at = principal.name, datetime.now(UTC)
    add_event(
        session,
        ProgressReviewedV1(
            report_id=report.id,
            task_id=task.id,
            government_id=task.government_id,
            unit=report.unit,
            status=status,
            comment=comment,
        ),
    )
    return report
