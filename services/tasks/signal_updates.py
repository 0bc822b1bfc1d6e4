"""Keeping each task's signal current: gather its facts, compute, and when the signal moves,
audit it and announce ``task.signal_changed``. Called by the scheduler for every active task
and by every change that can move a signal (progress, rescheduling, a new definition)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.calendar import WorkCalendar
from services.tasks.holidays import cached_calendar
from services.tasks.lifecycle import ACTIVE
from services.tasks.models import Milestone, ProgressReport, ReportingRound, Task
from services.tasks.signals import TaskFacts, compute_signal
from shared.contracts.tasks import TaskSignalChangedV1
from shared.messaging.outbox import add_event

SYSTEM = "系统（红黄绿灯）"


def _facts(session: Session, task: Task, today: date) -> TaskFacts:
    deadlines = [
        (m.phrase, m.due_date)
        for m in session.scalars(
            select(Milestone).where(
                Milestone.task_id == task.id,
                Milestone.status == "open",
                Milestone.due_date.is_not(None),
            )
        )
    ]
    rounds = session.scalars(
        select(ReportingRound)
        .where(ReportingRound.document_id == task.document_id)
        .order_by(ReportingRound.due_date)
    ).all()
    past = [r for r in rounds if r.due_date < today]
    upcoming = [r for r in rounds if r.due_date >= today]
    reported = set(
        session.scalars(select(ProgressReport.round_id).where(ProgressReport.task_id == task.id))
    )
    year = task.year or today.year
    start = date(year, 1, 1)
    end = max([d for _, d in deadlines] + [date(year, 12, 31)])
    return TaskFacts(
        today=today,
        open_deadlines=deadlines,
        round_due=past[-1].due_date if past else None,
        reported_in_round=bool(past) and past[-1].id in reported,
        reported_recently=bool(upcoming) and upcoming[0].id in reported,
        percent_done=task.percent_done,
        period=(start, end),
    )


def refresh_signal(
    session: Session, task: Task, today: date | None = None, calendar: WorkCalendar | None = None
) -> bool:
    """Recompute one task's signal; True when it changed."""
    if task.status not in ACTIVE:
        return False
    today = today or datetime.now(UTC).date()
    calendar = calendar or cached_calendar(session)
    signal, reason = compute_signal(_facts(session, task, today), calendar)
    if (signal, reason) == (task.signal, task.signal_reason):
        return False
    previous = task.signal
    task.signal, task.signal_reason = signal, reason
    if signal == previous:
        return False  # same colour, new words: no event
    audit.record(
        session,
        government_id=task.government_id,
        actor=SYSTEM,
        action="task.signal",
        entity="task",
        entity_id=task.id,
        before={"signal": previous},
        after={"signal": signal, "reason": reason},
    )
    add_event(
        session,
        TaskSignalChangedV1(
            task_id=task.id,
            government_id=task.government_id,
            signal=signal,
            previous=previous,
            reason=reason,
        ),
    )
    return True


def refresh_all(session: Session, today: date, calendar: WorkCalendar) -> int:
    tasks = session.scalars(select(Task).where(Task.status.in_(ACTIVE))).all()
    return sum(refresh_signal(session, task, today, calendar) for task in tasks)
