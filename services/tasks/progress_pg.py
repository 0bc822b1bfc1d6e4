"""The common progress submission on PostgreSQL in two round trips, for a unit reporting on a
task it is already working on (by far the most frequent write of the whole system).

``submit_fast`` reads every fact the submission checks in one query, decides in Python, and
writes report, audit entry, outbox event, the task's progress and signal (and when its colour
changes, what ``refresh_signal`` records then) in one more round trip. It handles only that
plain case and answers None for the rest — a first report (the task's status moves),
indicator actuals, a retried Idempotency-Key, any refusal — which then takes
``progress.submit``, where every rule lives. So nothing here decides differently:
tests/tasks/test_progress_paths.py submits the same reports both ways and compares what they
wrote.

``_TASK_FACTS`` reads in SQL what ``signal_updates._facts`` reads through the ORM: a change to
one must be made to the other.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg import Connection
from psycopg.rows import namedtuple_row
from sqlalchemy import Engine

from services.tasks.auth import Principal
from services.tasks.calendar import WorkCalendar
from services.tasks.progress import ProgressIn
from services.tasks.signal_updates import SYSTEM
from services.tasks.signals import TaskFacts, compute_signal
from shared.contracts import Envelope
from shared.contracts.tasks import ProgressSubmittedV1, TaskSignalChangedV1

_TASK_FACTS = """
    SELECT t.id, t.government_id, t.status, t.signal, t.percent_done, t.year,
           EXISTS (SELECT 1 FROM assignment a
                   WHERE a.task_id = t.id AND a.unit = %(unit)s) AS assigned,
           (SELECT json_agg(json_build_array(r.id, r.period, r.due_date) ORDER BY r.due_date)
              FROM reporting_round r WHERE r.document_id = t.document_id) AS rounds,
           (SELECT json_agg(json_build_array(m.phrase, m.due_date) ORDER BY m.due_date, m.id)
              FROM milestone m
             WHERE m.task_id = t.id AND m.status = 'open' AND m.due_date IS NOT NULL
           ) AS deadlines,
           ARRAY(SELECT DISTINCT p.round_id FROM progress_report p
                  WHERE p.task_id = t.id AND p.round_id IN (
                        (SELECT r.id FROM reporting_round r
                          WHERE r.document_id = t.document_id AND r.due_date < %(today)s
                          ORDER BY r.due_date DESC LIMIT 1),
                        (SELECT r.id FROM reporting_round r
                          WHERE r.document_id = t.document_id AND r.due_date >= %(today)s
                          ORDER BY r.due_date LIMIT 1))) AS reported
      FROM task t WHERE t.id = %(task_id)s
    """

# The report only when its idempotency key is free and the task is still as read; then, and
# only then, its audit entry, its outbox event and the task's progress and signal words.
_WRITE_ALL = """
    WITH report AS (
        INSERT INTO progress_report (id, task_id, unit, round_id, done, next_steps, problems,
            support_needed, percent, indicator_actuals, attachments, submitted_by, submitted_at,
            status, review_comment, idempotency_key)
        SELECT %(id)s::text, %(task_id)s::text, %(unit)s::text, %(round_id)s::int,
            %(done)s::text, %(next_steps)s::text, %(problems)s::text,
            %(support_needed)s::text, %(percent)s::int, '{}'::json,
            CAST(%(attachments)s AS json), %(submitted_by)s::text,
            %(submitted_at)s::timestamptz, 'submitted', '', %(idempotency_key)s::text
         WHERE EXISTS (SELECT 1 FROM task
                        WHERE id = %(task_id)s AND status = %(status)s AND signal = %(signal)s)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id
    ), audit AS (
        INSERT INTO audit_entry (government_id, actor, action, entity, entity_id, task_id,
            before, after, at)
        SELECT %(government_id)s, %(submitted_by)s, 'progress.submitted', 'progress_report', id,
            %(task_id)s, NULL, CAST(%(audit_after)s AS json), %(submitted_at)s
          FROM report
    ), event AS (
        INSERT INTO outbox (event_id, type, version, key, payload, created_at)
        SELECT %(event_id)s, %(event_type)s, %(event_version)s, %(event_key)s, %(payload)s,
            %(occurred_at)s
          FROM report
    )
    UPDATE task
       SET percent_done = greatest(percent_done, %(percent)s), updated_at = %(submitted_at)s,
           signal = %(new_signal)s, signal_reason = %(signal_reason)s
     WHERE id = %(task_id)s AND EXISTS (SELECT 1 FROM report)
    RETURNING id
    """

# When the report moves the signal to another colour: what refresh_signal records then, its
# audit entry and task.signal_changed, in the same transaction, after the report's own.
_SIGNAL_CHANGED = """
    WITH audit AS (
        INSERT INTO audit_entry (government_id, actor, action, entity, entity_id, task_id,
            before, after, at)
        SELECT %(government_id)s::text, %(actor)s::text, 'task.signal', 'task',
            %(task_id)s::text, %(task_id)s::text, CAST(%(before)s AS json),
            CAST(%(after)s AS json), %(at)s::timestamptz
         WHERE EXISTS (SELECT 1 FROM progress_report WHERE id = %(report_id)s::text)
    )
    INSERT INTO outbox (event_id, type, version, key, payload, created_at)
    SELECT %(event_id)s::text, %(event_type)s::text, %(event_version)s::int, %(event_key)s::text,
        %(payload)s::bytea, %(occurred_at)s::timestamptz
     WHERE EXISTS (SELECT 1 FROM progress_report WHERE id = %(report_id)s::text)
    """

# Where a progress report can go straight in: the task is under way (a first report moves its
# status, and that is the ORM path's business).
_PLAIN = ("in_progress", "completion_requested")


def submit_fast(
    engine: Engine,
    calendar: WorkCalendar,
    principal: Principal,
    task_id: str,
    body: ProgressIn,
    idempotency_key: str | None,
) -> dict[str, Any] | None:
    """The new report's columns once committed, or None: use ``progress.submit`` instead."""
    if body.indicator_actuals:
        return None
    raw = engine.raw_connection()
    conn: Connection[Any] = raw.driver_connection  # type: ignore[assignment]
    # Autocommit: the read needs no transaction of its own (it takes no locks either way, and
    # the write re-checks what it relies on), and the write is one statement, atomic by
    # itself. No BEGIN and no COMMIT to wait for.
    try:
        conn.autocommit = True
        return _submit(conn, calendar, principal, task_id, body, idempotency_key)
    except psycopg.OperationalError:
        if not conn.broken:
            raise
        return None  # the server dropped it (a restart): the ORM path meets the pool's fate
    finally:
        try:
            conn.autocommit = False
        except psycopg.Error:
            raw.invalidate()  # a broken connection does not go back into the pool
        raw.close()


def _submit(
    conn: Connection[Any],
    calendar: WorkCalendar,
    principal: Principal,
    task_id: str,
    body: ProgressIn,
    idempotency_key: str | None,
) -> dict[str, Any] | None:
    now = datetime.now(UTC)
    today = now.date()
    facts = {"task_id": task_id, "unit": body.unit}
    with conn.cursor(row_factory=namedtuple_row) as cursor:
        row = cursor.execute(_TASK_FACTS, {**facts, "today": today}).fetchone()
    if row is None or not _plain(principal, body, row):
        return None
    rounds = [(rid, period, date.fromisoformat(due)) for rid, period, due in row.rounds or ()]
    upcoming = [r for r in rounds if r[2] >= today]
    round_ = upcoming[0] if upcoming else (rounds[-1] if rounds else None)
    percent_done = max(row.percent_done, body.percent)
    signal, reason = compute_signal(
        _signal_facts(row, rounds, round_, percent_done, today), calendar
    )
    report = {
        "id": str(uuid.uuid4()),
        "task_id": task_id,
        "unit": body.unit,
        "round_id": round_[0] if round_ else None,
        "done": body.done,
        "next_steps": body.next_steps,
        "problems": body.problems,
        "support_needed": body.support_needed,
        "percent": body.percent,
        "indicator_actuals": {},
        "attachments": body.attachments,
        "submitted_by": principal.name,
        "submitted_at": now,
        "status": "submitted",
        "review_comment": "",
    }
    envelope = ProgressSubmittedV1(
        report_id=report["id"],
        task_id=task_id,
        government_id=row.government_id,
        unit=body.unit,
        period=round_[1] if round_ else None,
        percent=body.percent,
        submitted_at=now,
    ).envelope()
    params = {
        **report,
        "attachments": json.dumps(body.attachments),
        "idempotency_key": f"{principal.identity}:{idempotency_key}" if idempotency_key else None,
        "status": row.status,
        "signal": row.signal,
        "new_signal": signal,
        "signal_reason": reason,
        "government_id": row.government_id,
        "audit_after": json.dumps({"unit": body.unit, "percent": body.percent}),
        **_outbox_row(envelope),
    }
    if signal == row.signal:
        written = conn.execute(_WRITE_ALL, params).fetchone() is not None
    else:  # two statements, one transaction, still one round trip
        with conn.pipeline(), conn.transaction():
            cursor = conn.execute(_WRITE_ALL, params)
            conn.execute(_SIGNAL_CHANGED, _signal_change(row, report, signal, reason))
        written = cursor.fetchone() is not None
    # Not written: the key was taken (a retry) or the task moved meanwhile; nothing was
    # written, and the ORM path answers with the earlier report or the refusal.
    return report if written else None


def _signal_change(row: Any, report: dict[str, Any], signal: str, reason: str) -> dict[str, Any]:
    envelope = TaskSignalChangedV1(
        task_id=row.id,
        government_id=row.government_id,
        signal=signal,
        previous=row.signal,
        reason=reason,
    ).envelope()
    return {
        "government_id": row.government_id,
        "actor": SYSTEM,
        "task_id": row.id,
        "before": json.dumps({"signal": row.signal}),
        "after": json.dumps({"signal": signal, "reason": reason}),
        "at": report["submitted_at"],
        "report_id": report["id"],
        **_outbox_row(envelope),
    }


def _outbox_row(envelope: Envelope) -> dict[str, Any]:
    """shared.messaging.outbox.add_event's row, as statement parameters."""
    return {
        "event_id": str(envelope.id),
        "event_type": envelope.type,
        "event_version": envelope.version,
        "event_key": envelope.key,
        "payload": envelope.to_bytes(),
        "occurred_at": envelope.occurred_at,
    }


def _plain(principal: Principal, body: ProgressIn, row: Any) -> bool:
    """Allowed, and nothing but a report to record: can_see_task, require_unit and
    find_assignment on the row read above (a unit that acts for the reporting unit, which is
    assigned to the task, sees the task). A refusal is worded by the ORM path."""
    if (
        row.status not in _PLAIN
        or not row.assigned
        or not principal.sees_government(row.government_id)
    ):
        return False
    return principal.role in ("admin", "supervisor") or principal.acts_for(body.unit)


def _signal_facts(
    row: Any,
    rounds: list[tuple[int, str, date]],
    round_: tuple[int, str, date] | None,
    percent_done: int,
    today: date,
) -> TaskFacts:
    """signal_updates._facts from the row read above, this report included."""
    past = [r for r in rounds if r[2] < today]
    upcoming = [r for r in rounds if r[2] >= today]
    reported = set(row.reported) | ({round_[0]} if round_ else set())
    year = row.year or today.year
    deadlines = [(phrase, date.fromisoformat(due)) for phrase, due in row.deadlines or ()]
    return TaskFacts(
        today=today,
        open_deadlines=deadlines,
        round_due=past[-1][2] if past else None,
        reported_in_round=bool(past) and past[-1][0] in reported,
        reported_recently=bool(upcoming) and upcoming[0][0] in reported,
        percent_done=percent_done,
        period=(date(year, 1, 1), max([d for _, d in deadlines] + [date(year, 12, 31)])),
    )
