"""Submitting progress (报送进展), by far the most frequent write of the system, on one path
for every database: read the task's facts in one query, decide in Python (``rules``, the
signal rule), and write the decision as one guarded change (``recorders``): the report, the
unit's figure, the task's figure, status and colour, the audit entries and the events, all
or nothing, and only if the task is still as read. When it moved meanwhile, read again.

A retried submission with the same ``Idempotency-Key`` (scoped to the caller) returns the
first report and changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Engine, Select, String, bindparam, select, true
from sqlalchemy.exc import IntegrityError

from services.tasks.access.principal import Principal
from services.tasks.audit import AuditEntry, Entry
from services.tasks.calendar.store import calendar_for
from services.tasks.clock import beijing_date
from services.tasks.errors import Conflict, NotFound
from services.tasks.lifecycle.models import Assignment, Indicator, Task
from services.tasks.progress.models import ProgressReport, ReportStatus
from services.tasks.progress.rules import (
    IndicatorRef,
    TaskSeen,
    UnitFigure,
    check_submission,
    match_indicators,
    status_after_report,
    task_percent,
    with_figure,
)
from services.tasks.recorders import GuardedChange, Insert, Update, recorder_for
from services.tasks.signals.facts import facts_query, parameters
from services.tasks.signals.refresh import judge, signal_changed
from services.tasks.signals.rules import DEFAULT_POLICY, window_end
from shared.contracts import Event
from shared.contracts.tasks import ProgressSubmittedV1, TaskStatusChangedV1
from shared.messaging.outbox import outbox_row
from shared.messaging.tables import OUTBOX

ATTEMPTS = 5  # reads before giving up on a task that others keep changing


class ProgressIn(BaseModel):
    unit: str = Field(min_length=1, max_length=200, description="报送单位")
    done: str = Field("", max_length=20000, description="已完成的工作")
    next_steps: str = Field("", max_length=20000, description="下一步计划")
    problems: str = Field("", max_length=20000, description="存在的问题")
    support_needed: str = Field("", max_length=20000, description="需要协调解决的事项")
    percent: int = Field(ge=0, le=100, description="本单位完成进度（%）")
    indicator_actuals: dict[str, float] = Field(
        default_factory=dict,
        description='指标实际值：键为指标在本任务中的序号（如 "1"）或指标原文，值为数字',
    )
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, description="附件信息（文件名、大小、存储位置）"
    )


@dataclass(frozen=True)
class Read:
    """What one query read: the task's signal facts with its units, and an earlier report
    under the same key."""

    task: Any  # a row of the submission query, or None when there is no such task
    units: list[UnitFigure]
    earlier: tuple[str, str, str] | None  # report id, task id, unit


@cache
def _query() -> Select[Any]:
    earlier = (
        select(ProgressReport.id, ProgressReport.task_id, ProgressReport.unit)
        .where(ProgressReport.idempotency_key == bindparam("key", type_=String))
        .subquery("earlier")
    )
    return (
        facts_query(True)
        .add_columns(
            Task.number,
            Task.leaders,
            Assignment.unit.label("unit"),
            Assignment.role,
            Assignment.status.label("unit_status"),
            Assignment.percent,
            earlier.c.id.label("earlier_id"),
            earlier.c.task_id.label("earlier_task"),
            earlier.c.unit.label("earlier_unit"),
        )
        .outerjoin(Assignment, Assignment.task_id == Task.id)
        .outerjoin(earlier, true())
        .order_by(Assignment.id)
    )


def _read(engine: Engine, task_id: str, key: str | None, today: date, end: date) -> Read:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        rows = connection.execute(_query(), {**parameters(today, end, task_id), "key": key}).all()
        if not rows:  # no such task; the key may still be taken (by another task's report)
            found = connection.execute(
                select(ProgressReport.id, ProgressReport.task_id, ProgressReport.unit).where(
                    ProgressReport.idempotency_key == key
                )
            ).first()
            return Read(None, [], tuple(found) if found else None)  # type: ignore[arg-type]
    first = rows[0]
    units = [UnitFigure(r.unit, r.role, r.unit_status, r.percent) for r in rows if r.unit]
    earlier = (first.earlier_id, first.earlier_task, first.earlier_unit)
    return Read(first, units, earlier if first.earlier_id else None)


def _indicators(engine: Engine, task_id: str) -> list[IndicatorRef]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Indicator.number, Indicator.phrase, Indicator.subject)
            .where(Indicator.task_id == task_id)
            .order_by(Indicator.number)
        )
        return [IndicatorRef(*row) for row in rows]


def _report(engine: Engine, report_id: str) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(
            select(ProgressReport.__table__).where(ProgressReport.id == report_id)
        ).one()
        return dict(row._mapping)


def submit(
    engine: Engine,
    principal: Principal,
    task_id: str,
    body: ProgressIn,
    idempotency_key: str | None,
) -> tuple[dict[str, Any], bool]:
    """The report's columns and whether it is new (False: a retried submission)."""
    key = f"{principal.identity}:{idempotency_key}" if idempotency_key else None
    calendar = calendar_for(engine)
    for _ in range(ATTEMPTS):
        now = datetime.now(UTC)
        today = beijing_date(now)
        read = _read(engine, task_id, key, today, window_end(today, calendar, DEFAULT_POLICY))
        if read.earlier is not None:
            report_id, earlier_task, earlier_unit = read.earlier
            if (earlier_task, earlier_unit) != (task_id, body.unit):
                raise Conflict("该 Idempotency-Key 已用于另一项报送，请换一个")
            return _report(engine, report_id), False
        if read.task is None:
            raise NotFound(f"找不到任务 {task_id}")
        indicators = _indicators(engine, task_id) if body.indicator_actuals else []
        decided = decide(read, indicators, principal, body, key, now, calendar)
        try:
            if recorder_for(engine).apply(engine, decided.change):
                return decided.report, True
        except IntegrityError:
            if key is None:
                raise  # not the key: a real fault
            # the same key was used at the same moment: the next read finds that report
    raise Conflict("该任务正被频繁更新，本次报送未生效，请稍后重试")


@dataclass(frozen=True)
class Decided:
    report: dict[str, Any]
    change: GuardedChange


def decide(
    read: Read,
    indicators: list[IndicatorRef],
    principal: Principal,
    body: ProgressIn,
    key: str | None,
    now: datetime,
    calendar: Any,
) -> Decided:
    """Everything a submission does, decided on what was read: refusals, the round it counts
    for, the task's new status, figure and colour, and the rows that record them."""
    row, today = read.task, beijing_date(now)
    seen = TaskSeen(row.id, row.number, row.government_id, row.status, row.leaders, read.units)
    check_submission(seen, principal, body.unit)
    actuals = match_indicators(body.indicator_actuals, indicators, row.number)
    coming = row.next_round_id is not None
    round_id, period = (
        (row.next_round_id, row.next_period) if coming else (row.past_round_id, row.past_period)
    )
    status = status_after_report(row.status)
    percent = task_percent(with_figure(read.units, body.unit, body.percent))
    signal, reason = judge(
        row,
        calendar,
        today,
        status=status or row.status,
        percent_done=percent,
        reported_for_next=row.reported_next or coming,
        reported_in_round=row.reported_past or (round_id is not None and not coming),
    )
    report = {
        "id": str(uuid.uuid4()),
        "task_id": row.id,
        "unit": body.unit,
        "round_id": round_id,
        "done": body.done,
        "next_steps": body.next_steps,
        "problems": body.problems,
        "support_needed": body.support_needed,
        "percent": body.percent,
        "indicator_actuals": {str(number): value for number, value in actuals.items()},
        "attachments": body.attachments,
        "submitted_by": principal.name,
        "submitted_at": now,
        "status": ReportStatus.SUBMITTED,
        "review_comment": "",
        "idempotency_key": key,
    }
    entries = [
        Entry(
            government_id=row.government_id,
            actor=principal.name,
            action="progress.submitted",
            entity="progress_report",
            task_id=row.id,
            entity_id=report["id"],
            after={"unit": body.unit, "percent": body.percent},
        )
    ]
    events: list[Event] = []
    task_values: dict[str, Any] = {"percent_done": percent, "updated_at": now}
    if status is not None:
        why = f"{body.unit}报送进展"
        task_values |= {"status": status, "status_reason": why}
        entries.append(
            Entry(
                government_id=row.government_id,
                actor=principal.name,
                action="task.status",
                entity="task",
                entity_id=row.id,
                before={"status": row.status},
                after={"status": status, "reason": why},
            )
        )
        events.append(
            TaskStatusChangedV1(
                task_id=row.id,
                government_id=row.government_id,
                status=status,
                previous=row.status,
                reason=why,
                actor=principal.name,
            )
        )
    events.append(
        ProgressSubmittedV1(
            report_id=report["id"],
            task_id=row.id,
            government_id=row.government_id,
            unit=body.unit,
            period=period,
            percent=body.percent,
            task_percent=percent,
            submitted_at=now,
        )
    )
    task_values |= {"signal": signal, "signal_reason": reason}
    if signal != row.signal:
        entry, event = signal_changed(row.id, row.government_id, row.signal, signal, reason)
        entries.append(entry)
        events.append(event)
    writes: list[Insert | Update] = [
        Insert(ProgressReport.__table__, [report]),
        Update(
            Assignment.__table__,
            {"task_id": row.id, "unit": body.unit},
            {"percent": body.percent, "reported_at": now},
        ),
        *(
            Update(
                Indicator.__table__,
                {"task_id": row.id, "number": number},
                {"actual_value": value, "actual_at": now},
            )
            for number, value in actuals.items()
        ),
        Insert(AuditEntry.__table__, [entry.row(now) for entry in entries]),
        Insert(OUTBOX, [outbox_row(event, now) for event in events]),
    ]
    guard = Update(
        Task.__table__,
        {"id": row.id, "version": row.version},
        {**task_values, "version": row.version + 1},
    )
    return Decided(report, GuardedChange(guard, writes))
