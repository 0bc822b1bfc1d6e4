"""Progress submission on PostgreSQL, in a handful of statements instead of the ORM's dozen
round trips (about 4.7× the throughput; see bench/progress_load.py).

It applies exactly the rules of ``progress._submit_orm`` — the same checks in the same order,
the same idempotency by the token-scoped key, the same transaction for report, audit entry,
outbox event, progress and signal — and tests/tasks/test_lifecycle_api.py runs every case on
both paths. ``_TASK_FACTS`` reads in SQL what ``signal_updates._facts`` reads through the
ORM: a change to one must be made to the other.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.tasks.auth import Forbidden, Principal, require_unit
from services.tasks.holidays import cached_calendar
from services.tasks.lifecycle import ACTIVE, Conflict, NotFound, set_status
from services.tasks.models import AuditEntry, ProgressReport, Task
from services.tasks.progress import ProgressIn, apply_actuals
from services.tasks.signal_updates import refresh_signal
from services.tasks.signals import TaskFacts, compute_signal
from shared.contracts.tasks import ProgressSubmittedV1
from shared.messaging.outbox import add_event

_TASK_FACTS = """
    SELECT t.id, t.government_id, t.number, t.status, t.signal, t.signal_reason,
           t.percent_done, t.year, t.leaders,
           EXISTS (SELECT 1 FROM assignment a
                   WHERE a.task_id = t.id AND a.unit = ANY(%(scope)s)) AS in_scope,
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
_REPORTS = ProgressReport.__table__
_TASKS = Task.__table__
_INSERT_REPORT = (
    pg_insert(_REPORTS)
    .on_conflict_do_nothing(index_elements=["idempotency_key"])
    .returning(_REPORTS.c.id)  # rowcount is not reliable here: a row back means inserted
)
_INSERT_AUDIT = insert(AuditEntry.__table__)
_SET_REASON = (
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("task_id"))
    .values(signal_reason=bindparam("reason"))
)
_BUMP_TASK = (
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("task_id"))
    .values(
        percent_done=func.greatest(_TASKS.c.percent_done, bindparam("percent")),
        updated_at=bindparam("now"),
    )
    .returning(_TASKS.c.percent_done, _TASKS.c.status, _TASKS.c.signal, _TASKS.c.signal_reason)
)


_WRITE_ALL = """
    WITH report AS (
        INSERT INTO progress_report (id, task_id, unit, round_id, done, next_steps, problems,
            support_needed, percent, indicator_actuals, attachments, submitted_by, submitted_at,
            status, review_comment, reviewed_by, reviewed_at, idempotency_key)
        VALUES (%(id)s, %(task_id)s, %(unit)s, %(round_id)s, %(done)s, %(next_steps)s,
            %(problems)s, %(support_needed)s, %(percent)s, CAST(%(indicator_actuals)s AS json),
            CAST(%(attachments)s AS json), %(submitted_by)s, %(submitted_at)s, %(status)s,
            %(review_comment)s, %(reviewed_by)s, %(reviewed_at)s, %(idempotency_key)s)
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
       SET percent_done = greatest(percent_done, %(percent)s), updated_at = %(submitted_at)s
     WHERE id = %(task_id)s AND EXISTS (SELECT 1 FROM report)
    RETURNING percent_done, status, signal, signal_reason
    """


def _fetch(session: Session, sql: str, params: dict[str, Any]) -> Any:
    """One row (or None) straight from psycopg, in the session's transaction: these two
    statements run on every submission, and SQLAlchemy's per-statement work would cost more
    than PostgreSQL's (psycopg still prepares them after a few runs on a connection)."""
    dbapi = session.connection().connection.driver_connection
    with dbapi.cursor(row_factory=namedtuple_row) as cursor:  # type: ignore[union-attr]
        cursor.execute(sql, params)
        return cursor.fetchone()


def _earlier(session: Session, scoped_key: str, task_id: str, unit: str) -> ProgressReport | None:
    earlier = session.scalar(
        select(ProgressReport).where(ProgressReport.idempotency_key == scoped_key)
    )
    if earlier is not None and (earlier.task_id, earlier.unit) != (task_id, unit):
        raise Conflict("该 Idempotency-Key 已用于另一项报送，请换一个")
    return earlier


def submit_pg(
    session: Session,
    principal: Principal,
    task_id: str,
    body: ProgressIn,
    idempotency_key: str | None,
) -> tuple[ProgressReport, bool]:
    """The same steps as _submit_orm in a handful of statements (PostgreSQL).

    Idempotency rests on the unique key: the insert does nothing when the key is taken (a
    parallel twin waits for the first to commit), and then the earlier report is returned. A
    retry whose checks now fail (say the task has since been completed) still gets its report.
    """
    scoped_key = f"{principal.identity}:{idempotency_key}" if idempotency_key else None
    now = datetime.now(UTC)
    today = now.date()
    try:
        row = _fetch(
            session,
            _TASK_FACTS,
            {
                "task_id": task_id,
                "unit": body.unit,
                "scope": list(principal.unit_scope),
                "today": today,
            },
        )
        if row is None:
            raise NotFound(f"找不到任务 {task_id}")
        _check_access(principal, row)
        require_unit(principal, body.unit)
        if not row.assigned:
            raise NotFound(f"任务 {row.number} 没有交办给“{body.unit}”")
        if row.status not in (*ACTIVE, "suspended"):
            raise Conflict("任务已办结或已撤销，不再接收进展")
    except (NotFound, Forbidden, Conflict):
        earlier = _earlier(session, scoped_key, task_id, body.unit) if scoped_key else None
        if earlier is None:
            raise
        return earlier, False
    rounds = [(rid, period, date.fromisoformat(due)) for rid, period, due in row.rounds or ()]
    upcoming = [r for r in rounds if r[2] >= today]
    round_ = upcoming[0] if upcoming else (rounds[-1] if rounds else None)
    report = ProgressReport(
        id=str(uuid.uuid4()),
        task_id=task_id,
        unit=body.unit,
        round_id=round_[0] if round_ else None,
        done=body.done,
        next_steps=body.next_steps,
        problems=body.problems,
        support_needed=body.support_needed,
        percent=body.percent,
        indicator_actuals={str(k): v for k, v in body.indicator_actuals.items()},
        attachments=body.attachments,
        submitted_by=principal.name,
        submitted_at=now,
        status="submitted",
        review_comment="",
        idempotency_key=scoped_key,
    )
    values = {c.key: getattr(report, c.key) for c in _REPORTS.columns}
    submitted = ProgressSubmittedV1(
        report_id=report.id,
        task_id=task_id,
        government_id=row.government_id,
        unit=body.unit,
        period=round_[1] if round_ else None,
        percent=body.percent,
        submitted_at=now,
    )
    audit_after = {"unit": body.unit, "percent": body.percent}
    if row.status in ("assigned", "acknowledged") or body.indicator_actuals:
        # A first report (the task starts: its status event goes out before the report's)
        # or one with indicator actuals: statement by statement.
        inserted = session.execute(_INSERT_REPORT, values).first() is not None
        bumped = None
        if inserted:
            if body.indicator_actuals:
                task = session.get(Task, task_id)
                assert task is not None
                apply_actuals(session, task, body.indicator_actuals, now)
            bumped = session.execute(
                _BUMP_TASK, {"task_id": task_id, "percent": body.percent, "now": now}
            ).one()
            session.execute(
                _INSERT_AUDIT,
                {
                    "government_id": row.government_id,
                    "actor": principal.name,
                    "action": "progress.submitted",
                    "entity": "progress_report",
                    "entity_id": report.id,
                    "task_id": task_id,
                    "before": None,
                    "after": audit_after,
                    "at": now,
                },
            )
            if bumped.status in ("assigned", "acknowledged"):
                task = session.get(Task, task_id)
                assert task is not None
                set_status(session, task, "in_progress", f"{body.unit}报送进展", principal.name)
            add_event(session, submitted)
    else:
        # Everything in one statement: the report, and only when it is new (the idempotency
        # key was free), its audit entry, its outbox event and the task's progress.
        envelope = submitted.envelope()
        bumped = _fetch(
            session,
            _WRITE_ALL,
            {
                **values,
                "indicator_actuals": json.dumps(values["indicator_actuals"]),
                "attachments": json.dumps(values["attachments"]),
                "audit_after": json.dumps(audit_after),
                "government_id": row.government_id,
                "event_id": str(envelope.id),
                "event_type": envelope.type,
                "event_version": envelope.version,
                "event_key": envelope.key,
                "payload": envelope.to_bytes(),
                "occurred_at": envelope.occurred_at,
            },
        )
        if bumped is not None:
            session.info["outbox_written"] = True  # wake the relay after the commit
    if bumped is None:  # the key was taken: a retried (or parallel twin) submission
        earlier = _earlier(session, scoped_key or "", task_id, body.unit)
        if earlier is None:  # cannot happen: only the idempotency key can conflict
            raise Conflict("报送冲突，请重试")
        return earlier, False
    status = bumped.status
    if status in ACTIVE:
        # The signal from the facts read above (this report included). When it stays what
        # the task shows, nothing is written; when it moves, refresh_signal recomputes it
        # from the database and records the change (audit entry and event) as everywhere else.
        past = [r for r in rounds if r[2] < today]
        reported = set(row.reported) | ({round_[0]} if round_ else set())
        year = row.year or today.year
        deadlines = [(phrase, date.fromisoformat(due)) for phrase, due in row.deadlines or ()]
        facts = TaskFacts(
            today=today,
            open_deadlines=deadlines,
            round_due=past[-1][2] if past else None,
            reported_in_round=bool(past) and past[-1][0] in reported,
            reported_recently=bool(upcoming) and upcoming[0][0] in reported,
            percent_done=bumped.percent_done,
            period=(date(year, 1, 1), max([d for _, d in deadlines] + [date(year, 12, 31)])),
        )
        signal, reason = compute_signal(facts, cached_calendar(session))
        if signal != bumped.signal:  # a new colour: audited and announced by refresh_signal
            task = session.get(Task, task_id)
            assert task is not None
            refresh_signal(session, task, today)
        elif reason != bumped.signal_reason:  # same colour, new words: no event (as there)
            session.execute(_SET_REASON, {"task_id": task_id, "reason": reason})
    return report, True


def _check_access(principal: Principal, row: Any) -> None:
    """can_see_task on the row read above (the same rules)."""
    if not principal.sees_government(row.government_id):
        allowed = False
    elif principal.role in ("admin", "supervisor"):
        allowed = True
    elif principal.role == "leader":
        allowed = principal.leader in (row.leaders or ())
    else:
        allowed = bool(principal.unit_scope) and row.in_scope
    if not allowed:
        raise Forbidden(f"无权查看或办理任务 {row.number}")
