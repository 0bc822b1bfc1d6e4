"""Keeping each task's signal current: read its facts, judge, and when the colour moves,
audit it and announce ``task.signal_changed`` (new words alone change no colour: stored, not
announced). ``refresh_signal`` follows a change to one task in the caller's transaction;
``refresh_signals`` judges every task at once for the daily tick."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.calendar import WorkCalendar
from services.tasks.calendar.store import cached_calendar
from services.tasks.clock import beijing_today
from services.tasks.events import add_events
from services.tasks.lifecycle.models import Task
from services.tasks.recorders import recorder_for
from services.tasks.signals.facts import (
    Scope,
    earliest_year_end,
    fact_key,
    facts_of,
    facts_query,
    parameters,
)
from services.tasks.signals.rules import DEFAULT_POLICY, Signal, compute_signal, window_end
from shared.contracts.tasks import TaskSignalChangedV1

SYSTEM = "系统（红黄绿灯）"


def signal_changed(
    task_id: str, government_id: str, previous: str, signal: Signal, reason: str
) -> tuple[audit.Entry, TaskSignalChangedV1]:
    """What a new colour leaves behind: its audit entry and its event."""
    entry = audit.Entry(
        government_id=government_id,
        actor=SYSTEM,
        action="task.signal",
        entity="task",
        entity_id=task_id,
        before={"signal": previous},
        after={"signal": signal, "reason": reason},
    )
    event = TaskSignalChangedV1(
        task_id=task_id,
        government_id=government_id,
        signal=signal,
        previous=previous,
        reason=reason,
    )
    return entry, event


def judge(row: Any, calendar: WorkCalendar, today: date, **changed: Any) -> tuple[Signal, str]:
    """The colour of one row of ``facts_query``, with ``changed`` facts replaced."""
    return compute_signal(facts_of(row, today, **changed), calendar, DEFAULT_POLICY)


def refresh_signal(session: Session, task: Task, today: date | None = None) -> bool:
    """Judge one task after a change made in this session; True when its colour changed."""
    session.flush()
    today = today or beijing_today()
    calendar = cached_calendar(session)
    end = window_end(today, calendar, DEFAULT_POLICY)
    row = session.execute(facts_query(Scope.ONE), parameters(today, end, task.id)).one()
    signal, reason = judge(row, calendar, today)
    if (signal, reason) == (task.signal, task.signal_reason):
        return False
    previous = task.signal
    task.signal, task.signal_reason = signal, reason
    if signal == previous:
        return False
    entry, event = signal_changed(task.id, task.government_id, previous, signal, reason)
    audit.record_many(session, [entry])
    add_events(session, [event])
    return True


def refresh_signals(
    session: Session, today: date, calendar: WorkCalendar, task_ids: Sequence[str] = ()
) -> int:
    """Judge every task that may need a colour (or those of ``task_ids``: a batch just
    registered); store those that moved (one bulk update of the rows still as read), audit
    and announce the new colours. Returns how many colours changed. Most tasks share their
    facts with many others, so each set is judged once."""
    session.flush()
    with recorder_for(session).batch(session.connection()):
        return _refresh_signals(session, today, calendar, task_ids)


def _refresh_signals(
    session: Session, today: date, calendar: WorkCalendar, task_ids: Sequence[str]
) -> int:
    end = window_end(today, calendar, DEFAULT_POLICY)
    scope = Scope.LISTED if task_ids else Scope.ALL
    values = parameters(today, end, late_after=earliest_year_end(session, today), task_ids=task_ids)
    judged: dict[tuple[Any, ...], tuple[Signal, str]] = {}
    moved = []
    key_of = fact_key()  # most tasks share their facts: each set is judged once
    for row in session.connection().execute(facts_query(scope), values).all():
        key = key_of(row)
        found = judged.get(key)
        if found is None:
            facts = facts_of(row, today)
            found = judged[key] = compute_signal(facts, calendar, DEFAULT_POLICY)
        if found != (row.signal, row.signal_reason):
            moved.append((row, *found))
    if not moved:
        return 0
    stored = recorder_for(session).update_many(
        session.connection(),
        Task.__table__,
        [
            {"id": row.id, "version": row.version, "signal": s, "signal_reason": r}
            for row, s, r in moved
        ],
        where=("id", "version"),
        bump="version",
    )
    changed = [
        signal_changed(row.id, row.government_id, row.signal, signal, reason)
        for row, signal, reason in moved
        if row.id in stored and signal != row.signal
    ]
    audit.record_many(session, [entry for entry, _ in changed])
    add_events(session, [event for _, event in changed])
    session.expire_all()  # Task objects loaded in this session must not keep the old signal
    return len(changed)
