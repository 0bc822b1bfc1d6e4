"""The rest of progress: the pre-filled draft of a unit's next report (nothing typed twice)
and the bureau's review of a report (accept, or return with a comment)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.access.principal import Principal, Role, require_role, require_unit
from services.tasks.errors import Conflict, NotFound
from services.tasks.lifecycle.service import find_assignment, get_task
from services.tasks.progress.models import ProgressReport, ReportStatus
from services.tasks.progress.schemas import ProgressIn
from shared.contracts.tasks import ProgressReviewedV1
from shared.messaging.outbox import add_event

DRAFTED = (
    "done",
    "next_steps",
    "problems",
    "support_needed",
    "percent",
    "indicator_actuals",
    "attachments",
)


def draft(session: Session, principal: Principal, task_id: str, unit: str) -> dict[str, Any]:
    """What a new report starts from: the unit's last report, or empty fields."""
    task = get_task(session, principal, task_id)
    require_unit(principal, unit)
    find_assignment(session, task, unit)
    last = session.scalar(
        select(ProgressReport)
        .where(ProgressReport.task_id == task.id, ProgressReport.unit == unit)
        .order_by(ProgressReport.submitted_at.desc())
        .limit(1)
    )
    start = (
        {f: getattr(last, f) for f in DRAFTED}
        if last
        else ProgressIn(unit=unit, percent=0).model_dump(include=set(DRAFTED))
    )
    return {"unit": unit, "based_on": last.id if last else None, **start}


def review(
    session: Session, principal: Principal, report_id: str, accept: bool, comment: str
) -> ProgressReport:
    require_role(principal, Role.SUPERVISOR)
    report = session.get(ProgressReport, report_id)
    if report is None:
        raise NotFound(f"找不到进展报告 {report_id}")
    task = get_task(session, principal, report.task_id)
    if report.status != ReportStatus.SUBMITTED:
        raise Conflict("该进展报告已审核")
    if not accept and not comment.strip():
        raise Conflict("退回进展报告必须填写意见")
    status = ReportStatus.ACCEPTED if accept else ReportStatus.RETURNED
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
