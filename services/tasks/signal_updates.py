"""Keeping each task's signal current: gather its facts, compute, and when the signal moves,
audit it and announce ``task.signal_changed``. Called by every change that can move a signal
(progress, rescheduling, a new definition) for one task (``refresh_signal``), and by the
scheduler for every active task at once (``refresh_all``: a handful of set-based queries, not
three per task, and one bulk update of the signals that moved)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.bulk import add_audit_entries, add_events
from services.tasks.calendar import WorkCalendar
from services.tasks.holidays import cached_calendar
from services.tasks.lifecycle import ACTIVE
from services.tasks.models import Milestone, ProgressReport, ReportingRound, Task
from services.tasks.signals import SignalPolicy, TaskFacts, compute_signal
from shared.contracts.tasks import TaskSignalChangedV1
from shared.messaging.outbox import add_event

SYSTEM = "系统（红黄绿灯）"


def _facts(session: Session, task: Task, today: date) -> TaskFacts:
    deadlines = [
        (m.phrase, m.due_date)
        for m in session.scalars(
            select(Milestone)
            .where(
                Milestone.task_id == task.id,
                Milestone.status == "open",
                Milestone.due_date.is_not(None),
            )
            .order_by(Milestone.due_date, Milestone.id)
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


# -- every active task at once ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    id: str
    government_id: str
    document_id: str
    year: int | None
    percent_done: int
    signal: str
    signal_reason: str


def _rounds_by_document(
    session: Session, today: date
) -> dict[str, tuple[tuple[int, date] | None, int | None]]:
    """Per document: the latest round due before today (id, due date), the next one's id."""
    out: dict[str, tuple[tuple[int, date] | None, int | None]] = {}
    for round_id, document_id, due in session.execute(
        select(ReportingRound.id, ReportingRound.document_id, ReportingRound.due_date).order_by(
            ReportingRound.document_id, ReportingRound.due_date
        )
    ):
        past, upcoming = out.get(document_id, (None, None))
        if due < today:
            past = (round_id, due)
        elif upcoming is None:
            upcoming = round_id
        out[document_id] = (past, upcoming)
    return out


def _reported(session: Session, round_ids: Iterable[int]) -> set[tuple[str, int]]:
    ids = sorted(set(round_ids))
    if not ids:
        return set()
    rows = session.execute(
        select(ProgressReport.task_id, ProgressReport.round_id)
        .where(ProgressReport.round_id.in_(ids))
        .distinct()
    )
    return {(task_id, round_id) for task_id, round_id in rows}


def _near_deadlines(
    session: Session, today: date, calendar: WorkCalendar, policy: SignalPolicy
) -> dict[str, list[tuple[str, date]]]:
    """The open deadlines a signal can name: overdue ones and those due within the "due soon"
    window (an index range on ``milestone (status, due_date)``), in the order the per-task
    facts list them."""
    last = calendar.add_workdays(today, policy.due_soon_workdays + 1)  # first one outside
    out: dict[str, list[tuple[str, date]]] = {}
    for task_id, phrase, due in session.execute(
        select(Milestone.task_id, Milestone.phrase, Milestone.due_date)
        .where(Milestone.status == "open", Milestone.due_date < last)
        .order_by(Milestone.due_date, Milestone.id)
    ):
        out.setdefault(task_id, []).append((phrase, due))
    return out


def _late_ends(session: Session, first_year: int) -> dict[str, date]:
    """Tasks with an open deadline after the end of the earliest task year: their period may
    run past December 31 (序时进度 is measured up to the final deadline)."""
    return dict(
        session.execute(
            select(Milestone.task_id, func.max(Milestone.due_date))
            .where(Milestone.status == "open", Milestone.due_date > date(first_year, 12, 31))
            .group_by(Milestone.task_id)
        ).all()
    )


def compute_all(
    session: Session, today: date, calendar: WorkCalendar, policy: SignalPolicy | None = None
) -> list[tuple[_Row, str, str]]:
    """(task, signal, reason) for every active task; the same answer as ``refresh_signal``."""
    policy = policy or SignalPolicy()
    tasks = [
        _Row(*row)
        for row in session.execute(
            select(
                Task.id,
                Task.government_id,
                Task.document_id,
                Task.year,
                Task.percent_done,
                Task.signal,
                Task.signal_reason,
            ).where(Task.status.in_(ACTIVE))
        )
    ]
    if not tasks:
        return []
    rounds = _rounds_by_document(session, today)
    relevant = [r[0] for r, _ in rounds.values() if r] + [u for _, u in rounds.values() if u]
    reported = _reported(session, relevant)
    near = _near_deadlines(session, today, calendar, policy)
    ends = _late_ends(session, min(t.year or today.year for t in tasks))
    out = []
    for task in tasks:
        past, upcoming = rounds.get(task.document_id, (None, None))
        year = task.year or today.year
        end = date(year, 12, 31)
        late_end = ends.get(task.id)
        facts = TaskFacts(
            today=today,
            open_deadlines=near.get(task.id, []),
            round_due=past[1] if past else None,
            reported_in_round=past is not None and (task.id, past[0]) in reported,
            reported_recently=upcoming is not None and (task.id, upcoming) in reported,
            percent_done=task.percent_done,
            period=(date(year, 1, 1), late_end if late_end and late_end > end else end),
        )
        signal, reason = compute_signal(facts, calendar, policy)
        out.append((task, signal, reason))
    return out


_PG_UPDATE = text(
    "UPDATE task SET signal = u.s, signal_reason = u.r"
    " FROM unnest(CAST(:ids AS text[]), CAST(:signals AS text[]), CAST(:reasons AS text[]))"
    " AS u(id, s, r) WHERE task.id = u.id"
)


def refresh_all(session: Session, today: date, calendar: WorkCalendar) -> int:
    """Recompute every active task's signal; store those that moved (one bulk update), and
    audit and announce those whose colour changed. Returns how many colours changed."""
    session.flush()
    moved = [
        (task, signal, reason)
        for task, signal, reason in compute_all(session, today, calendar)
        if (signal, reason) != (task.signal, task.signal_reason)
    ]
    if not moved:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        for start in range(0, len(moved), 20_000):
            chunk = moved[start : start + 20_000]
            session.execute(
                _PG_UPDATE,
                {
                    "ids": [t.id for t, _, _ in chunk],
                    "signals": [s for _, s, _ in chunk],
                    "reasons": [r for _, _, r in chunk],
                },
            )
    else:
        session.execute(
            update(Task.__table__)
            .where(Task.__table__.c.id == bindparam("tid"))
            .values(signal=bindparam("s"), signal_reason=bindparam("r")),
            [{"tid": t.id, "s": s, "r": r} for t, s, r in moved],
        )
    changed = [(t, s, r) for t, s, r in moved if s != t.signal]  # new words alone: no event
    audits: list[dict[str, Any]] = []
    events = []
    for task, signal, reason in changed:
        audits.append(
            dict(
                government_id=task.government_id,
                actor=SYSTEM,
                action="task.signal",
                entity="task",
                entity_id=task.id,
                before={"signal": task.signal},
                after={"signal": signal, "reason": reason},
            )
        )
        events.append(
            TaskSignalChangedV1(
                task_id=task.id,
                government_id=task.government_id,
                signal=signal,
                previous=task.signal,
                reason=reason,
            )
        )
    add_audit_entries(session, audits)
    add_events(session, events)
    session.expire_all()  # Task objects loaded in this session must not keep the old signal
    return len(changed)
