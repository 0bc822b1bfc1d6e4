"""The deadline scan: which reminders are due today, asked exactly once each.

Candidates come from one query over indexed columns (open milestones by due date, on the
``(status, due_date)`` index; rounds by due date, the units that have not reported found by
an anti-join), never a loop over every task. The steps that apply today depend only on a due
date, so they are computed once per date. Every request carries a dedup key and is inserted
with ON CONFLICT DO NOTHING … RETURNING: a restart, a replay or a second replica cannot ask
twice, and only the requests really inserted go out as events, bulk-written to the outbox in
the same transaction.

On PostgreSQL the whole scan is one INSERT … SELECT statement (``scan_pg.pg_scan``) that also
writes the reminder events, and looks only at the due dates whose steps moved since the last
scan and at the tasks that changed (marked by triggers): the same requests, in a fraction of
the time. Elsewhere (the embedded SQLite default) the same keys are built in Python
(``milestone_requests``, ``round_requests``) and inserted a few hundred per statement.
Exactly one replica scans at a time, chosen by a lease row (``acquire_lease``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.tasks.bulk import add_audit_entries, add_events, bulk_insert, chunks, is_pg
from services.tasks.calendar import WorkCalendar
from services.tasks.lifecycle import ACTIVE
from services.tasks.models import (
    Assignment,
    Milestone,
    ProgressReport,
    ReminderRequest,
    ReportingRound,
    Task,
    Urge,
)
from services.tasks.policies import PolicyBook, load_policies
from services.tasks.reminders import (
    Step,
    deadline_step,
    escalation_steps,
    round_step,
)
from shared.contracts import Event
from shared.contracts.tasks import ReminderRequestedV1, TaskUrgedV1

SCHEDULER = "系统（到期提醒）"
REPORT_WINDOW = timedelta(days=62)  # how long after its due date a round's laggards are chased


@dataclass(frozen=True, slots=True)
class TaskInfo:
    id: str
    government_id: str
    leaders: list[str]


@dataclass(slots=True)
class Request:
    step: Step
    task: TaskInfo
    due: date
    subject: str
    units: list[str]
    leaders: list[str]
    discriminator: str  # milestone or round id: two deadlines on one day stay apart

    @property
    def recipients(self) -> list[str]:
        """An escalation goes to the leaders in charge; everything else to the units."""
        return self.leaders if self.step.kind == "escalation" else self.units

    @property
    def key(self) -> str:
        whom = ",".join(self.recipients)
        return self.step.key(f"{self.task.id}:{self.discriminator}:{whom}", self.due)


def _remindable(query: Select) -> Select:
    return query.where(Task.status.in_(ACTIVE), Task.exempt_reminders.is_(False))


def _reminded_units() -> Any:
    return and_(Assignment.role.in_(("lead", "responsible")), Assignment.status != "returned")


def milestone_candidates(today: date, calendar: WorkCalendar, policies: PolicyBook) -> Select:
    """Open milestones due up to the furthest before-due step (overdue ones included: they are
    reminded every few working days), of active tasks that are not exempt. An index range on
    ``milestone (status, due_date)``."""
    horizon = calendar.add_workdays(today, policies.longest_before_due)
    return _remindable(
        select(
            Milestone.id,
            Milestone.phrase,
            Milestone.due_date,
            Task.id.label("task_id"),
            Task.government_id,
            Task.leaders,
        )
        .join(Task, Task.id == Milestone.task_id)
        .where(Milestone.status == "open", Milestone.due_date <= horizon)
    )


def milestone_requests(
    session: Session, today: date, calendar: WorkCalendar, policies: PolicyBook
) -> list[Request]:
    candidates = milestone_candidates(today, calendar, policies)
    rows = session.execute(candidates).all()
    if not rows:
        return []
    task_ids = candidates.with_only_columns(Milestone.task_id)
    units: dict[str, list[str]] = {}
    for task_id, unit in session.execute(
        select(Assignment.task_id, Assignment.unit)
        .where(Assignment.task_id.in_(task_ids), _reminded_units())
        .order_by(Assignment.id)
    ):
        units.setdefault(task_id, []).append(unit)
    # steps depend only on the government's policy and the due date: once per pair
    steps_on: dict[tuple[str, date], list[Step]] = {}
    tasks: dict[str, TaskInfo] = {}
    requests = []
    for milestone_id, phrase, due, task_id, government_id, leaders in rows:
        steps = steps_on.get((government_id, due))
        if steps is None:
            policy = policies.for_(government_id)
            step = deadline_step(due, today, calendar, policy)
            steps = steps_on[(government_id, due)] = [
                *([step] if step else []),
                *escalation_steps(due, today, calendar, policy),
            ]
        if not steps:
            continue
        task = tasks.get(task_id)
        if task is None:
            task = tasks[task_id] = TaskInfo(task_id, government_id, leaders)
        discriminator, task_units = f"m{milestone_id}", units.get(task_id, [])
        for step in steps:
            requests.append(
                Request(step, task, due, phrase, task_units, task.leaders, discriminator)
            )
    return requests


def round_requests(
    session: Session, today: date, calendar: WorkCalendar, policies: PolicyBook
) -> list[Request]:
    """Per round in its reminder window: the lead/responsible units of each active task that
    have not reported in it yet (one anti-join over all those rounds), one request per task."""
    rounds = {
        round_id: (step, period, due)
        for round_id, period, due, step in rounds_in_window(session, today, calendar, policies)
    }
    if not rounds:
        return []
    reported = exists().where(
        ProgressReport.round_id == ReportingRound.id,
        ProgressReport.task_id == Assignment.task_id,
        ProgressReport.unit == Assignment.unit,
    )
    rows = session.execute(
        _remindable(
            select(ReportingRound.id, Assignment.task_id, Assignment.unit, Task.government_id)
            .join(Task, Task.document_id == ReportingRound.document_id)
            .join(Assignment, Assignment.task_id == Task.id)
            .where(ReportingRound.id.in_(list(rounds)), _reminded_units(), ~reported)
            .order_by(Assignment.id)
        )
    ).all()
    late: dict[tuple[int, str], tuple[TaskInfo, list[str]]] = {}
    for round_id, task_id, unit, government_id in rows:
        entry = late.get((round_id, task_id))
        if entry is None:
            entry = late[(round_id, task_id)] = (TaskInfo(task_id, government_id, []), [])
        entry[1].append(unit)
    requests = []
    for (round_id, _task_id), (info, units) in late.items():
        step, period, due = rounds[round_id]
        requests.append(Request(step, info, due, f"{period}进展报送", units, [], f"r{round_id}"))
    return requests


def rounds_in_window(
    session: Session, today: date, calendar: WorkCalendar, policies: PolicyBook
) -> list[tuple[int, str, date, Step]]:
    """Reporting rounds with a step today under their government's policy."""
    horizon = calendar.add_workdays(today, policies.longest_report_before)
    rows = session.execute(
        select(
            ReportingRound.id,
            ReportingRound.period,
            ReportingRound.due_date,
            ReportingRound.government_id,
        ).where(
            ReportingRound.due_date <= horizon,
            ReportingRound.due_date >= today - REPORT_WINDOW,
        )
    )
    return [
        (round_id, period, due, step)
        for round_id, period, due, government_id in rows
        if (step := round_step(due, today, calendar, policies.for_(government_id))) is not None
    ]


def insert_new(session: Session, rows: dict[str, Request], now: datetime) -> set[str]:
    """Insert every request (by dedup key) not asked before, a few hundred rows per statement;
    returns the keys really inserted. (PostgreSQL does it all in SQL: ``scan_pg``.)"""
    if not rows:
        return set()
    inserted: set[str] = set()
    dialect = postgresql if is_pg(session) else sqlite
    statement = (
        dialect.insert(ReminderRequest.__table__)
        .on_conflict_do_nothing()
        .returning(ReminderRequest.dedup_key)
    )
    for chunk in chunks(list(rows), 500):
        values = [
            dict(
                dedup_key=key,
                government_id=rows[key].task.government_id,
                task_id=rows[key].task.id,
                kind=rows[key].step.kind,
                step=rows[key].step.step,
                due_date=rows[key].due,
                recipients=rows[key].recipients,
                requested_at=now,
            )
            for key in chunk
        ]
        inserted.update(session.execute(statement.values(values)).scalars())
    return inserted


def _task_texts(session: Session, task_ids: set[str]) -> dict[str, tuple[str, str]]:
    """Number and text of the tasks a message is about (only those really reminded)."""
    out: dict[str, tuple[str, str]] = {}
    for chunk in chunks(sorted(task_ids), 1000):
        out.update(
            (task_id, (number, text_))
            for task_id, number, text_ in session.execute(
                select(Task.id, Task.number, Task.text).where(Task.id.in_(chunk))
            )
        )
    return out


def _row(key: str, r: Request, number: str, text_: str) -> tuple[Any, ...]:
    task, step = r.task, r.step
    fields = [key, task.id, task.government_id, step.kind, step.step, r.due, r.subject]
    return (*fields, r.units, r.leaders, number, text_)


def request_reminders(
    session: Session, requests: list[Request], now: datetime, warnings: list[str]
) -> int:
    rows: dict[str, Request] = {}
    for request in requests:
        rows.setdefault(request.key, request)  # a key listed twice is asked once
    inserted = insert_new(session, rows, now)
    if not inserted:
        return 0
    texts = _task_texts(session, {rows[key].task.id for key in inserted})
    return announce(
        session,
        [_row(key, r, *texts[r.task.id]) for key, r in rows.items() if key in inserted],
        now,
        warnings,
    )


def announce(session: Session, rows: Sequence[Any], now: datetime, warnings: list[str]) -> int:
    """Events (and, for escalations, urge and audit rows) of the requests really inserted;
    each row: dedup_key, task_id, government_id, kind, step, due_date, subject, units,
    leaders, number, text. (On PostgreSQL the statement writes the reminder events itself and
    only the escalations come here: ``escalate``.)"""
    events: list[Event] = []
    urges: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for (
        key,
        task_id,
        government_id,
        kind,
        step,
        due,
        subject,
        units,
        leaders,
        number,
        text_,
    ) in rows:
        events.append(
            ReminderRequestedV1(
                dedup_key=key,
                task_id=task_id,
                government_id=government_id,
                kind=kind,
                step=step,
                due_date=due,
                units=units if kind != "escalation" else [],
                leaders=(leaders or []) if kind == "escalation" else [],
                subject=subject,
                task_number=number,
                task_text=text_,
                warnings=warnings,
            )
        )
        if kind in ("escalation", "circular"):
            urge, audit, event = _escalation(
                task_id, government_id, kind, step, subject, units, now
            )
            urges.append(urge)
            audits.append(audit)
            events.append(event)
    _write(session, events, urges, audits)
    return len(rows)


def escalate(session: Session, rows: Sequence[Sequence[Any]], now: datetime) -> None:
    """Urge and audit rows and ``task.urged`` events of escalations really asked; each row:
    task_id, government_id, kind, step, subject, units."""
    made = [_escalation(*row, now) for row in rows]
    _write(session, [e for _, _, e in made], [u for u, _, _ in made], [a for _, a, _ in made])


def _escalation(
    task_id: str,
    government_id: str,
    kind: str,
    step: str,
    subject: str,
    units: list[str],
    now: datetime,
) -> tuple[dict[str, Any], dict[str, Any], Event]:
    words = "报送责任领导" if kind == "escalation" else "列入通报名单"
    message = f"“{subject}”已逾期{step[1:]}个工作日，{words}"
    urge = dict(
        task_id=task_id, kind=kind, unit="、".join(units), message=message, by=SCHEDULER, at=now
    )
    audit = dict(
        government_id=government_id,
        actor=SCHEDULER,
        action=f"task.{kind}",
        entity="task",
        entity_id=task_id,
        after={"message": message},
    )
    event = TaskUrgedV1(
        task_id=task_id,
        government_id=government_id,
        units=units,
        message=message,
        kind=kind,
        actor=SCHEDULER,
    )
    return urge, audit, event


def _write(
    session: Session,
    events: list[Event],
    urges: list[dict[str, Any]],
    audits: list[dict[str, Any]],
) -> None:
    bulk_insert(session, Urge.__table__, urges)
    add_audit_entries(session, audits)
    add_events(session, events)


def scan(
    session: Session,
    today: date,
    now: datetime,
    calendar: WorkCalendar,
    policies: PolicyBook | None = None,
) -> int:
    """One pass: ask every reminder due today that was not asked before. Returns how many."""
    now = now.astimezone(UTC)
    policies = policies or load_policies(session)
    if is_pg(session):
        from services.tasks.scan_pg import pg_scan  # the set-based path; same keys

        return pg_scan(session, today, now, calendar, policies)
    requests = milestone_requests(session, today, calendar, policies)
    requests += round_requests(session, today, calendar, policies)
    warnings = calendar.warnings_for({today.year, *(r.due.year for r in requests)})
    return request_reminders(session, requests, now, warnings)
