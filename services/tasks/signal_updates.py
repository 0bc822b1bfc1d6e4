"""Keeping each task's signal current: gather its facts, compute, and when the signal moves,
audit it and announce ``task.signal_changed``. Called by every change that can move a signal
(progress, rescheduling, a new definition) for one task (``refresh_signal``), and by the
scheduler for every active task at once (``refresh_all``: a handful of set-based queries, not
three per task, and one bulk update of the signals that moved)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, case, func, select, text, update
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.bulk import add_audit_entries, add_events, is_pg
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


def _active_tasks(
    session: Session, rounds: dict[str, tuple[tuple[int, date] | None, int | None]]
) -> Sequence[Row[Any]]:
    """Every active task: id, government_id, document_id, year, percent_done, signal,
    signal_reason, and whether it reported in its document's latest round due before today
    (reported_past) and in the next one (reported_next). The database answers those per task
    (one grouped pass over the reports of those rounds) rather than sending every (task,
    round) pair to Python."""
    past = [p[0] for p, _ in rounds.values() if p]
    upcoming = [u for _, u in rounds.values() if u]
    report = ProgressReport.round_id
    reported = (
        select(
            ProgressReport.task_id,
            ReportingRound.document_id,  # a report counts in its own document's rounds only
            func.max(case((report.in_(past), 1), else_=0)).label("past"),
            func.max(case((report.in_(upcoming), 1), else_=0)).label("upcoming"),
        )
        .join(ReportingRound, ReportingRound.id == report)
        .where(report.in_(past + upcoming))
        .group_by(ProgressReport.task_id, ReportingRound.document_id)
        .subquery()
    )
    query = (
        select(
            Task.id,
            Task.government_id,
            Task.document_id,
            Task.year,
            Task.percent_done,
            Task.signal,
            Task.signal_reason,
            (func.coalesce(reported.c.past, 0) == 1).label("reported_past"),
            (func.coalesce(reported.c.upcoming, 0) == 1).label("reported_next"),
        )
        .outerjoin(
            reported,
            and_(reported.c.task_id == Task.id, reported.c.document_id == Task.document_id),
        )
        .where(Task.status.in_(ACTIVE))
    )
    return session.connection().execute(query).all()


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
) -> list[tuple[Row[Any], str, str]]:
    """(task, signal, reason) for every active task (rows of ``_active_tasks``); the same
    answer as ``refresh_signal``. Most tasks share their facts with many others (no deadline
    near, the same round, the same progress), so each distinct set of facts is judged once."""
    policy = policy or SignalPolicy()
    rounds = _rounds_by_document(session, today)
    tasks = _active_tasks(session, rounds)
    if not tasks:
        return []
    near = _near_deadlines(session, today, calendar, policy)
    ends = _late_ends(session, min(t.year or today.year for t in tasks))
    periods: dict[tuple[int, date | None], tuple[date, date]] = {}
    judged: dict[tuple[Any, ...], tuple[str, str]] = {}
    out = []
    for task in tasks:
        task_id, _, document_id, year, percent_done, _, _, reported_past, reported_next = task
        past = rounds.get(document_id, (None, None))[0]
        year, late_end = year or today.year, ends.get(task_id)
        period = periods.get((year, late_end))
        if period is None:
            end = date(year, 12, 31)
            period = periods[(year, late_end)] = (
                date(year, 1, 1),
                late_end if late_end and late_end > end else end,
            )
        deadlines, round_due = near.get(task_id, []), past[1] if past else None
        key = (tuple(deadlines), round_due, reported_past, reported_next, percent_done, period)
        found = judged.get(key)
        if found is None:
            facts = TaskFacts(
                today=today,
                open_deadlines=deadlines,
                round_due=round_due,
                reported_in_round=reported_past,
                reported_recently=reported_next,
                percent_done=percent_done,
                period=period,
            )
            found = judged[key] = compute_signal(facts, calendar, policy)
        out.append((task, *found))
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
    if is_pg(session):  # the reports grouped per task stay in memory, not in temp files
        session.execute(text("SET LOCAL work_mem = '64MB'"))
    moved = [
        (task, signal, reason)
        for task, signal, reason in compute_all(session, today, calendar)
        if (signal, reason) != (task.signal, task.signal_reason)
    ]
    if not moved:
        return 0
    if is_pg(session):
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
