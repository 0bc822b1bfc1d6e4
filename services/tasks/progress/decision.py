"""What a progress submission does, decided on what was read (``submission``): refusals,
the round it counts for, the task's new status, figure and colour, and the rows that record
them, as one guarded change. Pure: the clock and the calendar are passed in."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.tasks.access.principal import Principal
from services.tasks.audit import AuditEntry, Entry
from services.tasks.clock import beijing_date
from services.tasks.lifecycle.models import Indicator, Task, TaskStatus
from services.tasks.lifecycle.service import status_changed
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
from services.tasks.progress.schemas import ProgressIn
from services.tasks.recorders import GuardedChange, Insert, Update
from services.tasks.signals.refresh import judge, signal_changed
from services.tasks.signals.rules import Signal
from shared.contracts import Event
from shared.contracts.tasks import IndicatorActual, ProgressSubmittedV1
from shared.messaging.outbox import outbox_rows
from shared.messaging.tables import OUTBOX


@dataclass(frozen=True)
class Outcome:
    """The task as it will be once the report is in."""

    round_id: int | None
    period: str | None
    status: TaskStatus | None  # a new status, or None
    percent: int
    signal: Signal
    reason: str


@dataclass(frozen=True)
class Decided:
    report: dict[str, Any]
    change: GuardedChange


def decide(
    row: Any,
    units: list[UnitFigure],
    indicators: list[IndicatorRef],
    principal: Principal,
    sent: ProgressIn,
    key: str | None,
    now: datetime,
    calendar: Any,
) -> Decided:
    """``row``: the task's facts as the submission query read them; ``units``: its units."""
    seen = TaskSeen(row.id, row.number, row.government_id, row.status, row.leaders, units)
    check_submission(seen, principal, sent.unit)
    actuals = match_indicators(sent.indicator_actuals, indicators, row.number)
    outcome = _outcome(row, units, sent, now, calendar)
    report = _report(row, sent, principal, outcome, actuals, key, now)
    entries, events = _records(row, sent, principal, report, outcome)
    writes: list[Insert | Update] = [
        Insert(ProgressReport.__table__, [report]),
        *(
            Update(
                Indicator.__table__,
                {"task_id": row.id, "number": number},
                {"actual_value": value, "actual_at": now},
            )
            for number, value in actuals.items()
        ),
        Insert(AuditEntry.__table__, [entry.row(now) for entry in entries]),
        Insert(OUTBOX, outbox_rows(events, now)),
    ]
    values: dict[str, Any] = {
        "percent_done": outcome.percent,
        "signal": outcome.signal,
        "signal_reason": outcome.reason,
        "updated_at": now,
        "version": row.version + 1,
    }
    if outcome.status is not None:
        values |= {"status": outcome.status, "status_reason": _why(sent)}
    guard = Update(Task.__table__, {"id": row.id, "version": row.version}, values)
    return Decided(report, GuardedChange(guard, writes))


def _why(sent: ProgressIn) -> str:
    return f"{sent.unit}报送进展"


def _outcome(
    row: Any, units: list[UnitFigure], sent: ProgressIn, now: datetime, calendar: Any
) -> Outcome:
    """The round the report counts for (the coming one; after the last, the last), and the
    task's status, figure and colour with the report in."""
    coming = row.next_round_id is not None
    round_id, period = (
        (row.next_round_id, row.next_period) if coming else (row.past_round_id, row.past_period)
    )
    status = status_after_report(row.status)
    percent = task_percent(with_figure(units, sent.unit, sent.percent))
    signal, reason = judge(
        row,
        calendar,
        beijing_date(now),
        status=status or row.status,
        percent_done=percent,
        reported_for_next=row.reported_next or coming,
        reported_in_round=row.reported_past or (round_id is not None and not coming),
    )
    return Outcome(round_id, period, status, percent, signal, reason)


def _report(
    row: Any,
    sent: ProgressIn,
    principal: Principal,
    outcome: Outcome,
    actuals: dict[int, float],
    key: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "task_id": row.id,
        "unit": sent.unit,
        "round_id": outcome.round_id,
        "done": sent.done,
        "next_steps": sent.next_steps,
        "problems": sent.problems,
        "support_needed": sent.support_needed,
        "percent": sent.percent,
        "indicator_actuals": {str(number): value for number, value in actuals.items()},
        "attachments": [a.model_dump(exclude_defaults=True) for a in sent.attachments],
        "submitted_by": principal.name,
        "submitted_at": now,
        "status": ReportStatus.SUBMITTED,
        "review_comment": "",
        "idempotency_key": key,
        "request_hash": request_hash(sent) if key else None,
    }


def request_hash(sent: ProgressIn) -> str:
    """What the caller sent, as a fingerprint kept with a keyed report: the same key sent
    again with another body is told so rather than answered with the first report."""
    return hashlib.sha256(sent.model_dump_json().encode()).hexdigest()


def _records(
    row: Any, sent: ProgressIn, principal: Principal, report: dict[str, Any], outcome: Outcome
) -> tuple[list[Entry], list[Event]]:
    """The audit entries and events, in the order the ORM paths write them: the report, a
    first report's new status, a new colour."""
    entries = [
        Entry(
            government_id=row.government_id,
            actor=principal.name,
            action="progress.submitted",
            entity="progress_report",
            task_id=row.id,
            entity_id=report["id"],
            after={"unit": sent.unit, "percent": sent.percent},
        )
    ]
    events: list[Event] = []
    if outcome.status is not None:
        entry, event = status_changed(
            row.id, row.government_id, row.status, outcome.status, _why(sent), principal.name
        )
        entries.append(entry)
        events.append(event)
    events.append(
        ProgressSubmittedV1(
            report_id=report["id"],
            task_id=row.id,
            government_id=row.government_id,
            unit=sent.unit,
            period=outcome.period,
            percent=sent.percent,
            task_percent=outcome.percent,
            submitted_at=report["submitted_at"],
            done=sent.done,
            problems=sent.problems,
            indicator_actuals=[
                IndicatorActual(number=int(n), value=v)
                for n, v in report["indicator_actuals"].items()
            ],
        )
    )
    if outcome.signal != row.signal:
        entry, event = signal_changed(
            row.id, row.government_id, row.signal, outcome.signal, outcome.reason
        )
        entries.append(entry)
        events.append(event)
    return entries, events
