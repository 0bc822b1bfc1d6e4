"""The deadline scan on PostgreSQL: one INSERT … SELECT … ON CONFLICT DO NOTHING statement.

The steps that apply today depend only on a due date, so Python computes them once per date
(and per reporting round) and passes those small tables in; the database builds every dedup
key exactly as ``scheduling.milestone_requests`` and ``round_requests`` do, keeps those not
asked before (a lookup per key in ``reminder_request``), inserts them and writes their
``reminder.requested`` events to the outbox itself: each payload is the compact JSON the
envelope model would write, built in SQL, so thousands of new requests cost no Python. Python
gets back how many were asked and the few escalations, whose urge and audit rows and
``task.urged`` events it writes (``scheduling.escalate``).

It looks again only at what may have something new (``_Scope``). Since the last scan
(``scan_state``), a key can become due only because the calendar moved a due date's steps, or
because something the key is built from changed: a milestone, a unit, a report, a task's
status, exemption or leaders (triggers mark the task in ``scan_mark``), a policy, the
holidays, the rounds, or the reminders asked ("*": everything). So a morning tick looks at
the due dates whose steps moved overnight and at the marked tasks, a second tick the same day
at the marked tasks only, and the result is what looking at everything would ask. The
candidates come from covering indexes (``ix_milestone_open_due``, ``ix_assignment_reminded``,
the reports by round).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic_core import to_json
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from services.tasks.calendar import WorkCalendar
from services.tasks.lifecycle import ACTIVE
from services.tasks.models import Milestone, ReportingRound, ScanState
from services.tasks.policies import DEFAULT, PolicyBook
from services.tasks.reminders import (
    ReminderPolicy,
    Step,
    deadline_step,
    escalation_steps,
    round_step,
)
from services.tasks.scheduling import escalate, rounds_in_window
from shared.contracts.tasks import ReminderRequestedV1

_ACTIVE_SQL = "t.status IN ({}) AND t.exempt_reminders IS FALSE".format(
    ", ".join(f"'{status}'" for status in ACTIVE)
)
_REMINDED_SQL = "a.role IN ('lead', 'responsible') AND a.status <> 'returned'"
STATE = "deadline-scan"  # its row in scan_state
# The databases this process has scanned in full: the first scan after a start looks at
# everything, since a new release may bring other holidays (the calendar library) or defaults.
_LOOKED: set[str] = set()

# Open milestones up to the horizon with each step that applies to their due date: all of them,
# or only those of marked tasks and those due on a date whose steps under their government's
# policy moved since the last scan ("moved"). Each step row carries the key's fixed parts,
# "kind:" and ":due date:step"; "*" stands for every government that keeps the default policy.
_MILESTONES = f"""
    m_steps AS (
        SELECT * FROM unnest(CAST(:governments AS text[]), CAST(:step_dues AS date[]),
                             CAST(:kinds AS text[]), CAST(:steps AS text[]),
                             CAST(:heads AS text[]), CAST(:tails AS text[]),
                             CAST(:moved AS boolean[]))
                      AS s(government_id, due_date, kind, step, head, tail, moved)
    ), candidates AS MATERIALIZED (
        SELECT m.id, m.task_id, m.due_date, m.phrase, t.government_id, t.leaders, t.number,
               t.text, m.task_id = ANY(CAST(:marked AS text[])) AS marked
        FROM milestone m JOIN task t ON t.id = m.task_id
        WHERE m.status = 'open' AND m.due_date <= :horizon AND {_ACTIVE_SQL}
          AND (CAST(:everything AS boolean) OR m.due_date = ANY(CAST(:dues AS date[]))
               OR m.task_id = ANY(CAST(:marked AS text[])))
    ), whom AS (
        SELECT a.task_id, string_agg(a.unit, ',' ORDER BY a.id) AS whom,
               array_agg(a.unit ORDER BY a.id) AS units
        FROM assignment a
        WHERE {_REMINDED_SQL} AND a.task_id IN (SELECT task_id FROM candidates)
        GROUP BY a.task_id
    )"""

# (task, round) pairs whose lead/responsible units have not all reported: those units. Of every
# task, or (``_OF_MARKED``) only of the marked ones when no round's step moved.
_ROUNDS = f"""
    r_steps AS (
        SELECT * FROM unnest(CAST(:rounds AS integer[]), CAST(:round_kinds AS text[]),
                             CAST(:round_steps AS text[]), CAST(:round_heads AS text[]),
                             CAST(:round_tails AS text[]))
                      AS s(round_id, kind, step, head, tail)
    ), late AS (
        SELECT s.round_id, s.kind, s.step, s.head, s.tail, r.due_date, r.period, t.id AS task_id,
               t.government_id, t.number, t.text,
               string_agg(a.unit, ',' ORDER BY a.id) AS whom,
               array_agg(a.unit ORDER BY a.id) AS units
        FROM r_steps s
        JOIN reporting_round r ON r.id = s.round_id
        JOIN task t ON t.document_id = r.document_id
        JOIN assignment a ON a.task_id = t.id
        WHERE {_ACTIVE_SQL} AND {_REMINDED_SQL} {{tasks}}
          AND NOT EXISTS (SELECT 1 FROM progress_report p WHERE p.round_id = r.id
                          AND p.round_id = ANY(CAST(:rounds AS integer[]))
                          AND p.task_id = a.task_id AND p.unit = a.unit)
        GROUP BY s.round_id, s.kind, s.step, s.head, s.tail, r.id, t.id
    )"""

# Every key that applies today, built as ``scheduling.Request.key`` does, and the requests of
# those not asked before: dedup_key, task_id, government_id, kind, step, due_date, subject,
# units, leaders (escalations only), task number and text. "OFFSET 0" keeps the check a lookup
# per key in the primary key: the planner's row estimates here are poor, and a hash of the
# whole table instead would grow with every request ever made.
_REQUESTS = """
    keyed AS (
        SELECT s.head || c.task_id || ':' || 'm' || c.id || ':'
                 || CASE WHEN s.kind = 'escalation'
                         THEN coalesce((SELECT string_agg(l.name, ',' ORDER BY l.n)
                                        FROM json_array_elements_text(c.leaders)
                                             WITH ORDINALITY AS l(name, n)), '')
                         ELSE coalesce(w.whom, '') END
                 || s.tail AS dedup_key,
               c.task_id, c.government_id, s.kind, s.step, c.due_date, c.phrase AS subject,
               w.units, c.leaders, c.number, c.text
        FROM candidates c JOIN m_steps s ON s.due_date = c.due_date
             AND s.government_id = CASE WHEN c.government_id = ANY(CAST(:custom AS text[]))
                                        THEN c.government_id ELSE '*' END
        LEFT JOIN whom w ON w.task_id = c.task_id
        WHERE CAST(:everything AS boolean) OR c.marked OR s.moved
        UNION ALL
        SELECT head || task_id || ':' || 'r' || round_id || ':' || whom || tail, task_id,
               government_id, kind, step, due_date, period || '进展报送', units, NULL, number,
               text
        FROM late
    ), requests AS MATERIALIZED (
        SELECT k.dedup_key, k.task_id, k.government_id, k.kind, k.step, k.due_date, k.subject,
               coalesce(k.units, CAST(ARRAY[] AS text[])) AS units,
               CASE WHEN k.kind = 'escalation' THEN k.leaders END AS leaders, k.number, k.text
        FROM keyed k
        WHERE NOT EXISTS (SELECT 1 FROM reminder_request x WHERE x.dedup_key = k.dedup_key
                          OFFSET 0)
    )"""

# Insert, then announce what was really inserted (a concurrent scan may have asked some keys
# since): the event rows in the order the SQLite path writes them, each payload the compact
# JSON of the envelope the contract would build, every event carrying the warnings of the years
# its batch touches (``WorkCalendar.warnings_for``).
_ASK = """
    inserted AS (
        INSERT INTO reminder_request (dedup_key, government_id, task_id, kind, step, due_date,
                                      recipients, requested_at)
        SELECT dedup_key, government_id, task_id, kind, step, due_date,
               CASE WHEN kind = 'escalation' THEN leaders ELSE to_json(units) END, :now
        FROM requests
        ON CONFLICT DO NOTHING
        RETURNING dedup_key, due_date
    ), warnings AS (
        SELECT coalesce(json_agg(w.text ORDER BY w.year), '[]') AS texts
        FROM unnest(CAST(:warn_years AS integer[]), CAST(:warn_texts AS text[])) AS w(year, text)
        WHERE w.year = CAST(:year AS integer)
           OR w.year IN (SELECT CAST(extract(year FROM due_date) AS integer) FROM inserted)
    ), events AS (
        INSERT INTO outbox (event_id, type, version, key, payload, created_at)
        SELECT e.id, e.type, e.version, e.key, convert_to(CAST(row_to_json(e) AS text), 'UTF8'),
               CAST(:occurred AS timestamptz)
        FROM (
            SELECT CAST(gen_random_uuid() AS text) AS id, CAST(:type AS text) AS type,
                   CAST(:version AS integer) AS version,
                   CAST(:occurred_at AS text) AS occurred_at, CAST(:source AS text) AS source,
                   r.task_id AS key,
                   (SELECT row_to_json(d) FROM (
                        SELECT r.dedup_key, r.task_id, r.government_id, r.kind, r.step,
                               r.due_date,
                               CASE WHEN r.kind = 'escalation' THEN CAST(ARRAY[] AS text[])
                                    ELSE r.units END AS units,
                               CASE WHEN r.kind = 'escalation'
                                    THEN ARRAY(SELECT json_array_elements_text(r.leaders))
                                    ELSE CAST(ARRAY[] AS text[]) END AS leaders,
                               r.subject, r.number AS task_number, r.text AS task_text,
                               w.texts AS warnings) d) AS data
            FROM requests r CROSS JOIN warnings w
            WHERE r.dedup_key IN (SELECT dedup_key FROM inserted)
            ORDER BY r.task_id, r.due_date, r.dedup_key
        ) e
    )
    SELECT (SELECT count(*) FROM inserted) AS asked,
           (SELECT coalesce(json_agg(json_build_array(task_id, government_id, kind, step,
                                                      subject, units)
                                     ORDER BY task_id, due_date, dedup_key), '[]')
            FROM requests
            WHERE kind IN ('escalation', 'circular')
              AND dedup_key IN (SELECT dedup_key FROM inserted)) AS escalated
"""

_OF_MARKED = "AND t.id = ANY(CAST(:marked AS text[]))"
_PG_SCAN = text(f"WITH {_MILESTONES}, {_ROUNDS.format(tasks='')}, {_REQUESTS}, {_ASK}")
_PG_SCAN_MARKED_ROUNDS = text(
    f"WITH {_MILESTONES}, {_ROUNDS.format(tasks=_OF_MARKED)}, {_REQUESTS}, {_ASK}"
)


def _steps_on(due: date, day: date, calendar: WorkCalendar, policy: ReminderPolicy) -> set[Step]:
    found = deadline_step(due, day, calendar, policy), *escalation_steps(due, day, calendar, policy)
    return {step for step in found if step}


def _milestone_steps(
    session: Session, today: date, calendar: WorkCalendar, policies: PolicyBook
) -> tuple[date, list[date], list[tuple[str, date, Step]]]:
    """The horizon, every due date from the first open milestone's to it, and (government,
    due date, step) for each step that applies today: "*" stands for every government that
    keeps the default policy."""
    horizon = calendar.add_workdays(today, policies.longest_before_due)
    first = session.scalar(
        select(func.min(Milestone.due_date)).where(
            Milestone.status == "open", Milestone.due_date <= horizon
        )
    )
    if first is None:
        return horizon, [], []
    dues = [first + timedelta(n) for n in range((horizon - first).days + 1)]
    books = [("*", DEFAULT), *policies.by_government.items()]
    steps = [
        (government_id, due, step)
        for due in dues
        for government_id, policy in books
        for step in sorted(_steps_on(due, today, calendar, policy), key=lambda s: s.kind)
    ]
    return horizon, dues, steps


def _moved(
    dues: list[date], today: date, last: date, calendar: WorkCalendar, policies: PolicyBook
) -> set[tuple[str, date]]:
    """(government, due date) pairs with a step today that was not one on the last scanned
    day: the only ones whose reminders the calendar alone can have made due since (after
    downtime too). "*" stands for every government that keeps the default policy."""
    books = [("*", DEFAULT), *policies.by_government.items()]
    return {
        (government_id, due)
        for due in dues
        for government_id, policy in books
        if _steps_on(due, today, calendar, policy) - _steps_on(due, last, calendar, policy)
    }


def _rounds_moved(
    session: Session,
    rounds: list[tuple[int, str, date, Step]],
    last: date,
    calendar: WorkCalendar,
    policies: PolicyBook,
) -> bool:
    """Whether a round in the window has a step today it had not on the last scanned day
    (it just fell due, or entered the window): then every task's units are looked at."""
    governments = dict(
        session.execute(
            select(ReportingRound.id, ReportingRound.government_id).where(
                ReportingRound.id.in_([round_id for round_id, _, _, _ in rounds])
            )
        ).all()
    )
    return any(
        step != round_step(due, last, calendar, policies.for_(governments[round_id]))
        for round_id, _, due, step in rounds
    )


def _database(session: Session) -> str:
    return str(session.get_bind().url)


def _take_marks(session: Session) -> list[str]:
    """The tasks marked since the last scan, unmarked in this transaction: a change committed
    before this statement is seen by the scan that follows; the mark of one not committed yet
    is not seen, so not taken, and waits for the next scan."""
    return list(
        session.scalars(
            text(
                "WITH taken AS (DELETE FROM scan_mark RETURNING task_id)"
                " SELECT DISTINCT task_id FROM taken"
            )
        )
    )


def _last_day(session: Session, today: date) -> date | None:
    """The day of the last scan, and remember today's (in this transaction)."""
    last = session.scalar(select(ScanState.day).where(ScanState.name == STATE))
    session.execute(
        text(
            "INSERT INTO scan_state (name, day) VALUES (:name, :day)"
            " ON CONFLICT (name) DO UPDATE SET day = excluded.day"
        ),
        {"name": STATE, "day": today},
    )
    return last


def _warnings(calendar: WorkCalendar, years: set[int]) -> dict[int, str]:
    """The warning of each year a due date may fall in that has one (its holidays unknown)."""
    out = {}
    for year in sorted(years):
        found = calendar.warnings_for([year])
        if found:
            out[year] = found[0]
    return out


@dataclass(frozen=True)
class _Scope:
    """What this scan looks at: everything, or the milestones of marked tasks and those due
    on a (government, date) whose steps moved since the last scan; the late units of every
    task in the rounds, or of the marked ones only when no round's step moved."""

    everything: bool
    marked: list[str]
    moved: set[tuple[str, date]]
    every_round: bool


def _scope(
    session: Session,
    today: date,
    calendar: WorkCalendar,
    policies: PolicyBook,
    dues: list[date],
    rounds: list[tuple[int, str, date, Step]],
) -> _Scope:
    """Everything when the last scan is unknown or later than today, "*" was marked, or this
    process has not scanned this database yet; else only what may have something new."""
    marked, last = _take_marks(session), _last_day(session, today)
    if last is None or last > today or "*" in marked or _database(session) not in _LOOKED:
        return _Scope(True, marked, set(), True)
    return _Scope(
        False,
        marked,
        _moved(dues, today, last, calendar, policies),
        _rounds_moved(session, rounds, last, calendar, policies),
    )


def _parameters(
    session: Session, today: date, now: datetime, calendar: WorkCalendar, policies: PolicyBook
) -> dict[str, Any]:
    horizon, dues, steps = _milestone_steps(session, today, calendar, policies)
    rounds = rounds_in_window(session, today, calendar, policies)
    scope = _scope(session, today, calendar, policies, dues, rounds)
    occurred = datetime.now(UTC)  # the events' time, as ``bulk.add_events`` takes it
    warnings = _warnings(
        calendar,
        {today.year, *(due.year for _, due, _ in steps), *(due.year for _, _, due, _ in rounds)},
    )
    return {
        "now": now,
        "horizon": horizon,
        "everything": scope.everything,
        "every_round": scope.every_round,
        "dues": sorted({due for _, due in scope.moved}),
        "marked": scope.marked,
        "custom": list(policies.by_government),
        "governments": [government_id for government_id, _, _ in steps],
        "step_dues": [due for _, due, _ in steps],
        "kinds": [step.kind for _, _, step in steps],
        "steps": [step.step for _, _, step in steps],
        "heads": [f"{step.kind}:" for _, _, step in steps],
        "tails": [f":{due.isoformat()}:{step.step}" for _, due, step in steps],
        "moved": [(government_id, due) in scope.moved for government_id, due, _ in steps],
        "rounds": [round_id for round_id, _, _, _ in rounds],
        "round_kinds": [step.kind for _, _, _, step in rounds],
        "round_steps": [step.step for _, _, _, step in rounds],
        "round_heads": [f"{step.kind}:" for _, _, _, step in rounds],
        "round_tails": [f":{due.isoformat()}:{step.step}" for _, _, due, step in rounds],
        "year": today.year,
        "warn_years": list(warnings),
        "warn_texts": list(warnings.values()),
        "type": ReminderRequestedV1.TYPE,
        "version": ReminderRequestedV1.VERSION,
        "source": ReminderRequestedV1.SOURCE,
        "occurred": occurred,
        "occurred_at": json.loads(to_json(occurred)),  # formatted as the envelope model does
    }


def pg_scan(
    session: Session, today: date, now: datetime, calendar: WorkCalendar, policies: PolicyBook
) -> int:
    # The row estimates of this statement are poor (unnest, CTEs): keep the planner from
    # spending half a second on JIT compilation, and let sorts and hashes stay in memory.
    session.execute(text("SET LOCAL jit = off"))
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    parameters = _parameters(session, today, now, calendar, policies)
    if not parameters["steps"] and not parameters["rounds"]:
        return 0
    statement = _PG_SCAN if parameters["every_round"] else _PG_SCAN_MARKED_ROUNDS
    asked, escalated = session.execute(statement, parameters).one()
    _LOOKED.add(_database(session))
    if asked:
        session.info["outbox_written"] = True
    escalate(session, escalated, now)
    return int(asked)
