"""Submitting progress (报送进展), by far the most frequent write of the system, on one path
for every database: read the task's facts in one query, decide in Python (``rules``, the
signal rule), and write the decision as one guarded change (``recorders``): the report, the
task's figure, status and colour, the audit entries and the events, all or nothing, and only
if the task is still as read. When it moved meanwhile, read again.

A retried submission with the same ``Idempotency-Key`` (scoped to the caller) returns the
first report and changes nothing.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Engine, Select, String, bindparam, select
from sqlalchemy.exc import IntegrityError

from services.tasks.access.principal import Principal
from services.tasks.calendar.store import calendar_for
from services.tasks.clock import beijing_date
from services.tasks.errors import Conflict, Forbidden, Invalid, NotFound
from services.tasks.lifecycle.models import Assignment, Indicator, Task
from services.tasks.progress.decision import decide, request_hash
from services.tasks.progress.figure import UNIT_PERCENT
from services.tasks.progress.models import ProgressReport
from services.tasks.progress.rules import IndicatorRef, UnitFigure
from services.tasks.progress.schemas import ProgressIn
from services.tasks.recorders import recorder_for
from services.tasks.recorders.base import Direct
from services.tasks.signals.facts import Scope, facts_query, parameters
from services.tasks.signals.rules import DEFAULT_POLICY, window_end

ATTEMPTS = 10  # reads before giving up on a task that others keep changing


@dataclass(frozen=True)
class Read:
    """What one query read: the task's signal facts with its units (one row per unit)."""

    task: Any  # a row of the submission query
    units: list[UnitFigure]


@cache
def _query() -> Select[Any]:
    return (
        facts_query(Scope.ONE)
        .add_columns(
            Task.number,
            Task.leaders,
            Assignment.unit.label("unit"),
            Assignment.role,
            Assignment.status.label("unit_status"),
            UNIT_PERCENT.label("percent"),
        )
        .outerjoin(Assignment, Assignment.task_id == Task.id)
        .order_by(Assignment.id)
    )


def _read(db: Direct, task_id: str, today: date, end: date) -> Read | None:
    rows = db.read(_query(), parameters(today, end, task_id))
    if not rows:
        return None
    units = [UnitFigure(r.unit, r.role, r.unit_status, r.percent) for r in rows if r.unit]
    return Read(rows[0], units)


@cache
def _earlier() -> Select[Any]:
    return select(ProgressReport.__table__).where(
        ProgressReport.idempotency_key == bindparam("key", type_=String)
    )


def _earlier_report(
    db: Direct, key: str | None, task_id: str, body: ProgressIn
) -> tuple[dict[str, Any], bool] | None:
    """The report already stored under this key, if any: a retried submission gets it back;
    the key used for another task, another unit or another body is a conflict (as payment
    APIs answer a reused key)."""
    found = db.read(_earlier(), {"key": key}) if key else []
    if not found:
        return None
    earlier = found[0]._asdict()
    if (earlier["task_id"], earlier["unit"]) != (task_id, body.unit):
        raise Conflict("该 Idempotency-Key 已用于另一项报送，请换一个")
    if earlier["request_hash"] not in (None, request_hash(body)):
        raise Conflict(
            "该 Idempotency-Key 已用于内容不同的一次报送；重试请原样重发，新的报送请换一个 Key"
        )
    return earlier, False


@cache
def _indicators() -> Select[Any]:
    return (
        select(Indicator.number, Indicator.phrase, Indicator.subject)
        .where(Indicator.task_id == bindparam("task_id", type_=String))
        .order_by(Indicator.number)
    )


def submit(
    engine: Engine,
    principal: Principal,
    task_id: str,
    body: ProgressIn,
    idempotency_key: str | None,
) -> tuple[dict[str, Any], bool]:
    """The report's columns and whether it is new (False: a retried submission)."""
    key = f"{principal.identity}:{idempotency_key}" if idempotency_key else None
    calendar = calendar_for(engine)
    with recorder_for(engine).direct(engine) as db:
        for attempt in range(ATTEMPTS):
            done = _attempt(db, principal, task_id, body, key, calendar)
            if done is not None:
                return done
            time.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # let the others through
    raise Conflict("该任务正被频繁更新，本次报送未生效，请稍后重试")


def _attempt(
    db: Direct,
    principal: Principal,
    task_id: str,
    body: ProgressIn,
    key: str | None,
    calendar: Any,
) -> tuple[dict[str, Any], bool] | None:
    """One read, decision and write; None when the task moved meanwhile (read again). The
    key is looked up only when it may matter: before a refusal, and when the write meets it
    taken (a retried submission, or the same one twice at once)."""
    now = datetime.now(UTC)
    today = beijing_date(now)
    read = _read(db, task_id, today, window_end(today, calendar, DEFAULT_POLICY))
    try:
        if read is None:
            raise NotFound(f"找不到任务 {task_id}")
        indicators = (
            [IndicatorRef(*row) for row in db.read(_indicators(), {"task_id": task_id})]
            if body.indicator_actuals
            else []
        )
        decided = decide(read.task, read.units, indicators, principal, body, key, now, calendar)
    except (Conflict, Forbidden, Invalid, NotFound):
        earlier = _earlier_report(db, key, task_id, body)
        if earlier is None:
            raise
        return earlier
    try:
        return (decided.report, True) if db.apply(decided.change) else None
    except IntegrityError:
        earlier = _earlier_report(db, key, task_id, body)
        if earlier is None:
            raise  # not the key: a real fault
        return earlier
