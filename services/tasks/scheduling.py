"""The deadline scan: which reminders are due today, asked exactly once each.

Candidates come from one query over indexed columns (open milestones by due date, on the
``(status, due_date)`` index; rounds by due date, the units that have not reported found by
an anti-join), never a loop over every task. The steps that apply today depend only on a due
date, so they are computed once per date. Every request carries a dedup key and is inserted
with ON CONFLICT DO NOTHING … RETURNING: a restart, a replay or a second replica cannot ask
twice, and only the requests really inserted go out as events, bulk-written to the outbox in
the same transaction.

On PostgreSQL the whole scan is two INSERT … SELECT statements (``_pg_scan``): a warm scan,
where everything was asked before, moves no row through Python. Elsewhere (the embedded
SQLite default) the same keys are built in Python (``milestone_requests``,
``round_requests``) and inserted a few hundred per statement. Exactly one replica scans at a
time, chosen by a lease row (``acquire_lease``).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Select, Table, and_, exists, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.tasks.calendar import WorkCalendar
from services.tasks.lifecycle import ACTIVE
from services.tasks.models import (
    Assignment,
    AuditEntry,
    Milestone,
    ProgressReport,
    ReminderRequest,
    ReportingRound,
    SchedulerLease,
    Task,
    Urge,
)
from services.tasks.reminders import (
    ReminderPolicy,
    Step,
    deadline_step,
    escalation_steps,
    round_step,
)
from shared.contracts import Event
from shared.contracts.tasks import ReminderRequestedV1, TaskUrgedV1
from shared.messaging.tables import OUTBOX

INSTANCE = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
SCHEDULER = "系统（到期提醒）"
DEFAULT_POLICY = ReminderPolicy()
REPORT_WINDOW = timedelta(days=62)  # how long after its due date a round's laggards are chased
_CHUNK = 5000  # rows per bulk statement


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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def acquire_lease(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease; False while another holder's lease is still valid."""
    now = now.astimezone(UTC)  # SQLite keeps no offset: store and compare in UTC
    lease = session.get(SchedulerLease, name, with_for_update=True)
    if lease is None:
        try:
            with session.begin_nested():
                session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
        except IntegrityError:
            return False
        return True
    if lease.holder != holder and _aware(lease.expires_at) > now:
        return False
    lease.holder, lease.expires_at = holder, now + ttl
    return True


def _remindable(query: Select) -> Select:
    return query.where(Task.status.in_(ACTIVE), Task.exempt_reminders.is_(False))


def _reminded_units() -> Any:
    return and_(Assignment.role.in_(("lead", "responsible")), Assignment.status != "returned")


def milestone_candidates(today: date, calendar: WorkCalendar, policy: ReminderPolicy) -> Select:
    """Open milestones due up to the furthest before-due step (overdue ones included: they are
    reminded every few working days), of active tasks that are not exempt. An index range on
    ``milestone (status, due_date)``."""
    horizon = calendar.add_workdays(today, max(policy.before_due, default=0))
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
    session: Session, today: date, calendar: WorkCalendar, policy: ReminderPolicy
) -> list[Request]:
    candidates = milestone_candidates(today, calendar, policy)
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
    steps_on: dict[date, list[Step]] = {}  # steps depend only on the due date: once per date
    tasks: dict[str, TaskInfo] = {}
    requests = []
    for milestone_id, phrase, due, task_id, government_id, leaders in rows:
        steps = steps_on.get(due)
        if steps is None:
            step = deadline_step(due, today, calendar, policy)
            steps = steps_on[due] = [
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
    session: Session, today: date, calendar: WorkCalendar, policy: ReminderPolicy
) -> list[Request]:
    """Per round in its reminder window: the lead/responsible units of each active task that
    have not reported in it yet (one anti-join over all those rounds), one request per task."""
    horizon = calendar.add_workdays(today, policy.report_before)
    rounds = {
        round_id: (step, period, due)
        for round_id, period, due in session.execute(
            select(ReportingRound.id, ReportingRound.period, ReportingRound.due_date).where(
                ReportingRound.due_date <= horizon,
                ReportingRound.due_date >= today - REPORT_WINDOW,
            )
        )
        if (step := round_step(due, today, calendar, policy)) is not None
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


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _copy(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """COPY rows into ``table`` on the session's connection, inside its transaction."""
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows of ``table`` (dicts with the same keys): COPY on PostgreSQL, an
    executemany elsewhere. The caller's transaction either way."""
    if not rows:
        return
    driver = session.connection().connection.driver_connection
    if not _is_pg(session) or type(driver).__module__.split(".")[0] != "psycopg":
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    encoded = [isinstance(table.c[name].type, JSON) for name in columns]
    _copy(
        session,
        table.name,
        columns,
        (
            [
                json.dumps(v, ensure_ascii=False) if json_ else v  # None: JSON null, as the ORM
                for v, json_ in zip(row.values(), encoded, strict=True)
            ]
            for row in rows
        ),
    )


def insert_new(session: Session, rows: dict[str, Request], now: datetime) -> set[str]:
    """Insert every request (by dedup key) not asked before, a few hundred rows per statement;
    returns the keys really inserted. (PostgreSQL does the whole scan in SQL: ``_pg_scan``.)"""
    if not rows:
        return set()
    inserted: set[str] = set()
    dialect = postgresql if _is_pg(session) else sqlite
    statement = (
        dialect.insert(ReminderRequest.__table__)
        .on_conflict_do_nothing()
        .returning(ReminderRequest.dedup_key)
    )
    for chunk in _chunks(list(rows), 500):
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
    for chunk in _chunks(sorted(task_ids), 1000):
        out.update(
            (task_id, (number, text_))
            for task_id, number, text_ in session.execute(
                select(Task.id, Task.number, Task.text).where(Task.id.in_(chunk))
            )
        )
    return out


def add_events(session: Session, events: Iterable[Event]) -> int:
    """``shared.messaging.outbox.add_event`` for many events: one bulk insert, same rows."""
    rows = []
    for event in events:
        envelope = event.envelope()
        rows.append(
            dict(
                event_id=str(envelope.id),
                type=envelope.type,
                version=envelope.version,
                key=envelope.key,
                payload=envelope.to_bytes(),
                created_at=envelope.occurred_at,
            )
        )
    bulk_insert(session, OUTBOX, rows)
    if rows:
        session.info["outbox_written"] = True
    return len(rows)


def add_audit_entries(session: Session, entries: list[dict[str, Any]]) -> None:
    """``audit.record`` for many entries (each a dict of its keyword arguments)."""
    now = datetime.now(UTC)
    rows = [
        dict(
            government_id=e["government_id"],
            actor=e["actor"],
            action=e["action"],
            entity=e["entity"],
            entity_id=str(e["entity_id"]),
            task_id=e.get("task_id", e["entity_id"] if e["entity"] == "task" else None),
            before=e.get("before"),
            after=e.get("after"),
            at=now,
        )
        for e in entries
    ]
    bulk_insert(session, AuditEntry.__table__, rows)


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
    return _announce(
        session,
        [_row(key, r, *texts[r.task.id]) for key, r in rows.items() if key in inserted],
        now,
        warnings,
    )


# -- PostgreSQL: the whole scan as two INSERT … SELECT statements ----------------------------
#
# The steps that apply today depend only on a due date, so Python computes them once per date
# (a few hundred) and passes that small table in; the database joins it with the candidate
# milestones (the same index range as ``milestone_candidates``) or with the units that have
# not reported in a round (an anti-join), builds each dedup key exactly as ``Request.key``
# does, and inserts with ON CONFLICT DO NOTHING. Only the rows really inserted come back, with
# what their events say. A warm scan (nothing new) moves no row through Python at all.

_UNITS_OF = """
    SELECT a.task_id, string_agg(a.unit, ',' ORDER BY a.id) AS whom,
           array_agg(a.unit ORDER BY a.id) AS units
    FROM assignment a
    WHERE a.role IN ('lead', 'responsible') AND a.status <> 'returned'
      AND a.task_id IN (SELECT task_id FROM {source})
    GROUP BY a.task_id
"""
_ACTIVE_SQL = "t.status IN ({}) AND t.exempt_reminders IS FALSE".format(
    ", ".join(f"'{status}'" for status in ACTIVE)
)
_INSERTED = """
    , inserted AS (
        INSERT INTO reminder_request (dedup_key, government_id, task_id, kind, step, due_date,
                                      recipients, requested_at)
        SELECT dedup_key, government_id, task_id, kind, step, due_date, recipients, :now
        FROM requests
        ON CONFLICT DO NOTHING
        RETURNING dedup_key
    )
    SELECT r.dedup_key, r.task_id, r.government_id, r.kind, r.step, r.due_date, r.subject,
           r.units, r.leaders,
           (SELECT t.number FROM task t WHERE t.id = r.task_id) AS number,
           (SELECT t.text FROM task t WHERE t.id = r.task_id) AS text
    FROM requests r
    WHERE r.dedup_key IN (SELECT dedup_key FROM inserted)
    ORDER BY r.task_id, r.due_date, r.dedup_key
"""
_PG_MILESTONES = text(
    f"""
    WITH steps AS (
        SELECT * FROM unnest(CAST(:dues AS date[]), CAST(:kinds AS text[]),
                             CAST(:steps AS text[])) AS s(due_date, kind, step)
    ), candidates AS MATERIALIZED (
        SELECT m.id, m.task_id, m.phrase, m.due_date, t.government_id, t.leaders
        FROM milestone m JOIN task t ON t.id = m.task_id
        WHERE m.status = 'open' AND m.due_date <= :horizon AND {_ACTIVE_SQL}
    ), units AS ({_UNITS_OF.format(source="candidates")}
    ), requests AS MATERIALIZED (
        SELECT s.kind || ':' || c.task_id || ':' || 'm' || c.id || ':'
                 || CASE WHEN s.kind = 'escalation'
                         THEN coalesce((SELECT string_agg(l.name, ',' ORDER BY l.n)
                                        FROM json_array_elements_text(c.leaders)
                                             WITH ORDINALITY AS l(name, n)), '')
                         ELSE coalesce(u.whom, '') END
                 || ':' || to_char(c.due_date, 'YYYY-MM-DD') || ':' || s.step AS dedup_key,
               c.task_id, c.government_id, s.kind, s.step, c.due_date, c.phrase AS subject,
               coalesce(u.units, CAST(ARRAY[] AS text[])) AS units,
               CASE WHEN s.kind = 'escalation' THEN c.leaders END AS leaders,
               CASE WHEN s.kind = 'escalation' THEN c.leaders
                    ELSE to_json(coalesce(u.units, CAST(ARRAY[] AS text[]))) END AS recipients
        FROM candidates c JOIN steps s ON s.due_date = c.due_date
        LEFT JOIN units u ON u.task_id = c.task_id
    )
    {_INSERTED}
    """
)
_PG_ROUNDS = text(
    f"""
    WITH steps AS (
        SELECT * FROM unnest(CAST(:rounds AS integer[]), CAST(:kinds AS text[]),
                             CAST(:steps AS text[])) AS s(round_id, kind, step)
    ), late AS (
        SELECT s.round_id, s.kind, s.step, r.period, r.due_date, t.id AS task_id,
               t.government_id, string_agg(a.unit, ',' ORDER BY a.id) AS whom,
               array_agg(a.unit ORDER BY a.id) AS units
        FROM steps s
        JOIN reporting_round r ON r.id = s.round_id
        JOIN task t ON t.document_id = r.document_id
        JOIN assignment a ON a.task_id = t.id
        WHERE {_ACTIVE_SQL}
          AND a.role IN ('lead', 'responsible') AND a.status <> 'returned'
          AND NOT EXISTS (SELECT 1 FROM progress_report p WHERE p.round_id = r.id
                          AND p.round_id = ANY(CAST(:rounds AS integer[]))
                          AND p.task_id = a.task_id AND p.unit = a.unit)
        GROUP BY s.round_id, s.kind, s.step, r.period, r.due_date, t.id, t.government_id
    ), requests AS MATERIALIZED (
        SELECT kind || ':' || task_id || ':' || 'r' || round_id || ':' || whom || ':'
                 || to_char(due_date, 'YYYY-MM-DD') || ':' || step AS dedup_key,
               task_id, government_id, kind, step, due_date, period || '进展报送' AS subject,
               units, CAST(NULL AS json) AS leaders, to_json(units) AS recipients
        FROM late
    )
    {_INSERTED}
    """
)


def _milestone_steps_by_due(
    session: Session, today: date, calendar: WorkCalendar, policy: ReminderPolicy
) -> tuple[date, list[tuple[date, Step]]]:
    horizon = calendar.add_workdays(today, max(policy.before_due, default=0))
    first = session.scalar(
        select(func.min(Milestone.due_date)).where(
            Milestone.status == "open", Milestone.due_date <= horizon
        )
    )
    steps: list[tuple[date, Step]] = []
    if first is None:
        return horizon, steps
    for n in range((horizon - first).days + 1):
        due = first + timedelta(n)
        step = deadline_step(due, today, calendar, policy)
        steps += [(due, s) for s in (step, *escalation_steps(due, today, calendar, policy)) if s]
    return horizon, steps


def _pg_scan(
    session: Session, today: date, now: datetime, calendar: WorkCalendar, policy: ReminderPolicy
) -> int:
    # The row estimates of these statements are poor (unnest, CTEs): keep the planner from
    # spending half a second on JIT compilation, and let sorts and hashes stay in memory.
    session.execute(text("SET LOCAL jit = off"))
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    horizon, by_due = _milestone_steps_by_due(session, today, calendar, policy)
    rows = []
    if by_due:
        rows += session.execute(
            _PG_MILESTONES,
            {
                "now": now,
                "horizon": horizon,
                "dues": [due for due, _ in by_due],
                "kinds": [step.kind for _, step in by_due],
                "steps": [step.step for _, step in by_due],
            },
        ).all()
    report_horizon = calendar.add_workdays(today, policy.report_before)
    by_round = [
        (round_id, step)
        for round_id, due in session.execute(
            select(ReportingRound.id, ReportingRound.due_date).where(
                ReportingRound.due_date <= report_horizon,
                ReportingRound.due_date >= today - REPORT_WINDOW,
            )
        )
        if (step := round_step(due, today, calendar, policy)) is not None
    ]
    if by_round:
        rows += session.execute(
            _PG_ROUNDS,
            {
                "now": now,
                "rounds": [round_id for round_id, _ in by_round],
                "kinds": [step.kind for _, step in by_round],
                "steps": [step.step for _, step in by_round],
            },
        ).all()
    if not rows:
        return 0
    warnings = calendar.warnings_for({today.year, *(row.due_date.year for row in rows)})
    return _announce(session, rows, now, warnings)


def _announce(session: Session, rows: Sequence[Any], now: datetime, warnings: list[str]) -> int:
    """Events (and, for escalations, urge and audit rows) of the requests really inserted;
    each row: dedup_key, task_id, government_id, kind, step, due_date, subject, units,
    leaders, number, text."""
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
            words = "报送责任领导" if kind == "escalation" else "列入通报名单"
            message = f"“{subject}”已逾期{step[1:]}个工作日，{words}"
            urges.append(
                dict(
                    task_id=task_id,
                    kind=kind,
                    unit="、".join(units),
                    message=message,
                    by=SCHEDULER,
                    at=now,
                )
            )
            audits.append(
                dict(
                    government_id=government_id,
                    actor=SCHEDULER,
                    action=f"task.{kind}",
                    entity="task",
                    entity_id=task_id,
                    after={"message": message},
                )
            )
            events.append(
                TaskUrgedV1(
                    task_id=task_id,
                    government_id=government_id,
                    units=units,
                    message=message,
                    kind=kind,
                    actor=SCHEDULER,
                )
            )
    bulk_insert(session, Urge.__table__, urges)
    add_audit_entries(session, audits)
    add_events(session, events)
    return len(rows)


def scan(
    session: Session,
    today: date,
    now: datetime,
    calendar: WorkCalendar,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> int:
    """One pass: ask every reminder due today that was not asked before. Returns how many."""
    now = now.astimezone(UTC)
    if _is_pg(session):
        return _pg_scan(session, today, now, calendar, policy)
    requests = milestone_requests(session, today, calendar, policy)
    requests += round_requests(session, today, calendar, policy)
    warnings = calendar.warnings_for({today.year, *(r.due.year for r in requests)})
    return request_reminders(session, requests, now, warnings)
