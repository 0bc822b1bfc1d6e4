"""The deadline scan on PostgreSQL: two INSERT … SELECT … ON CONFLICT DO NOTHING … RETURNING
statements, one for milestones and one for reporting rounds. The steps that apply today
depend only on a due date, so Python computes them once per date and passes that small table
in; the database builds every dedup key exactly as ``scheduling.milestone_requests`` and
``round_requests`` do, and returns only the rows it really inserted. A warm scan (everything
asked before) moves no row through Python.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from services.tasks.calendar import WorkCalendar
from services.tasks.lifecycle import ACTIVE
from services.tasks.models import Milestone
from services.tasks.policies import DEFAULT, PolicyBook
from services.tasks.reminders import (
    Step,
    deadline_step,
    escalation_steps,
)
from services.tasks.scheduling import announce, rounds_in_window

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
        SELECT * FROM unnest(CAST(:governments AS text[]), CAST(:dues AS date[]),
                             CAST(:kinds AS text[]), CAST(:steps AS text[]))
                      AS s(government_id, due_date, kind, step)
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
             AND s.government_id = CASE WHEN c.government_id = ANY(CAST(:custom AS text[]))
                                        THEN c.government_id ELSE '*' END
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


def _milestone_steps(
    session: Session, today: date, calendar: WorkCalendar, policies: PolicyBook
) -> tuple[date, list[tuple[str, date, Step]]]:
    """(government, due date, step) for every due date in the window: "*" stands for every
    government that keeps the default policy."""
    horizon = calendar.add_workdays(today, policies.longest_before_due)
    first = session.scalar(
        select(func.min(Milestone.due_date)).where(
            Milestone.status == "open", Milestone.due_date <= horizon
        )
    )
    steps: list[tuple[str, date, Step]] = []
    if first is None:
        return horizon, steps
    books = [("*", DEFAULT), *policies.by_government.items()]
    for n in range((horizon - first).days + 1):
        due = first + timedelta(n)
        for government_id, policy in books:
            found = (
                deadline_step(due, today, calendar, policy),
                *escalation_steps(due, today, calendar, policy),
            )
            steps += [(government_id, due, step) for step in found if step]
    return horizon, steps


def pg_scan(
    session: Session, today: date, now: datetime, calendar: WorkCalendar, policies: PolicyBook
) -> int:
    # The row estimates of these statements are poor (unnest, CTEs): keep the planner from
    # spending half a second on JIT compilation, and let sorts and hashes stay in memory.
    session.execute(text("SET LOCAL jit = off"))
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    horizon, steps = _milestone_steps(session, today, calendar, policies)
    rows = []
    if steps:
        rows += session.execute(
            _PG_MILESTONES,
            {
                "now": now,
                "horizon": horizon,
                "custom": list(policies.by_government),
                "governments": [government_id for government_id, _, _ in steps],
                "dues": [due for _, due, _ in steps],
                "kinds": [step.kind for _, _, step in steps],
                "steps": [step.step for _, _, step in steps],
            },
        ).all()
    by_round = [
        (round_id, step)
        for round_id, _, _, step in rounds_in_window(session, today, calendar, policies)
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
    return announce(session, rows, now, warnings)
