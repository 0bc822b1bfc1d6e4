"""The facts the signal rule reads, in one query written once (SQLAlchemy Core: the same
statement on SQLite and PostgreSQL), for one task or for every task that may need a colour.

Per task: its status, figure, year and start; its earliest open deadline before the end of
the due-soon window (the only one a colour can name) and its latest open deadline after
``late_after`` (it can stretch the period past the year's end); its document's latest round
due before today and the coming one, and whether the task has a report in each. Each part
is a small set-based subquery, so a thousand tasks or a hundred thousand cost a few scans,
not a query each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import Enum
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    String,
    and_,
    bindparam,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from services.tasks.lifecycle.models import ACTIVE, Milestone, MilestoneStatus, Task
from services.tasks.progress.models import ProgressReport
from services.tasks.registration.models import ReportingRound
from services.tasks.signals.rules import Signal, TaskFacts

GREEN = Signal.GREEN.value
_TODAY = bindparam("today", type_=Date)
_WINDOW_END = bindparam("window_end", type_=Date)
_LATE_AFTER = bindparam("late_after", type_=Date)
_TASK_ID = bindparam("task_id", type_=String)
_TASK_IDS = bindparam("task_ids", expanding=True)


class Scope(Enum):
    """Which tasks ``facts_query`` reads: the one named by ``:task_id``, those listed in
    ``:task_ids`` (a batch just registered), or every task that may need a colour."""

    ONE = "one"
    LISTED = "listed"
    ALL = "all"


def parameters(
    today: date,
    window_end: date,
    task_id: str | None = None,
    late_after: date = date(1, 1, 1),
    task_ids: Sequence[str] = (),
) -> dict[str, Any]:
    """The parameters of ``facts_query``: ``late_after`` bounds the deadlines that can end a
    period late (for many tasks, the end of the earliest year among them)."""
    values = {"today": today, "window_end": window_end, "task_id": task_id}
    values["late_after"] = late_after
    if task_ids:
        values["task_ids"] = list(task_ids)
    return values


def earliest_year_end(session: Session, today: date) -> date:
    first = session.scalar(select(func.min(func.coalesce(Task.year, today.year))))
    return date(first or today.year, 12, 31)


def _rounds(past: bool, one: bool) -> Any:
    """Per document (``one``: the task's document only): the latest round due before today
    (past) or the first due from today."""
    due = ReportingRound.due_date
    documents = true()
    if one:
        documents = ReportingRound.document_id == (
            select(Task.document_id).where(Task.id == _TASK_ID).scalar_subquery()
        )
    rank = func.row_number().over(
        partition_by=ReportingRound.document_id, order_by=due.desc() if past else due
    )
    ranked = (
        select(
            ReportingRound.id,
            ReportingRound.document_id,
            ReportingRound.period,
            due,
            rank.label("n"),
        )
        .where(due < _TODAY if past else due >= _TODAY, documents)
        .subquery()
    )
    columns = (ranked.c.id, ranked.c.document_id, ranked.c.period, ranked.c.due_date)
    return select(*columns).where(ranked.c.n == 1).cte("past_round" if past else "next_round")


@cache
def facts_query(scope: Scope) -> Select[Any]:
    """One row per task of ``scope`` (for ``ALL``: those under way, and closed ones still
    showing a warning colour). Built once per scope; ``facts_of`` turns a row into
    ``TaskFacts``."""
    one = scope is Scope.ONE

    def of(task_column: Any) -> ColumnElement[bool]:
        if scope is Scope.ALL:
            return true()
        return task_column == _TASK_ID if one else task_column.in_(_TASK_IDS)

    open_ = Milestone.status == MilestoneStatus.OPEN
    first_rank = func.row_number().over(
        partition_by=Milestone.task_id, order_by=(Milestone.due_date, Milestone.id)
    )
    near = (
        select(Milestone.task_id, Milestone.phrase, Milestone.due_date, first_rank.label("n"))
        .where(open_, Milestone.due_date < _WINDOW_END, of(Milestone.task_id))
        .subquery()
    )
    first = select(near).where(near.c.n == 1).cte("first_deadline")
    late = (
        select(Milestone.task_id, func.max(Milestone.due_date).label("due_date"))
        .where(open_, Milestone.due_date > _LATE_AFTER, of(Milestone.task_id))
        .group_by(Milestone.task_id)
        .cte("last_deadline")
    )
    past, coming = _rounds(past=True, one=one), _rounds(past=False, one=one)
    round_ids = select(past.c.id).union_all(select(coming.c.id))
    reported = (
        select(ProgressReport.task_id, ProgressReport.round_id)
        .where(ProgressReport.round_id.in_(round_ids), of(ProgressReport.task_id))
        .distinct()
        .cte("reported")
    )
    in_past, in_coming = reported.alias("in_past"), reported.alias("in_coming")
    return (
        select(
            Task.id,
            Task.government_id,
            Task.status,
            Task.signal,
            Task.signal_reason,
            Task.percent_done,
            Task.year,
            Task.started_on,
            Task.version,
            first.c.phrase.label("first_phrase"),
            first.c.due_date.label("first_due"),
            late.c.due_date.label("last_due"),
            past.c.due_date.label("past_due"),
            in_past.c.task_id.is_not(None).label("reported_past"),
            coming.c.id.label("next_round_id"),
            coming.c.period.label("next_period"),
            in_coming.c.task_id.is_not(None).label("reported_next"),
            past.c.id.label("past_round_id"),
            past.c.period.label("past_period"),
        )
        .outerjoin(first, first.c.task_id == Task.id)
        .outerjoin(late, late.c.task_id == Task.id)
        .outerjoin(past, past.c.document_id == Task.document_id)
        .outerjoin(coming, coming.c.document_id == Task.document_id)
        .outerjoin(in_past, and_(in_past.c.task_id == Task.id, in_past.c.round_id == past.c.id))
        .outerjoin(
            in_coming, and_(in_coming.c.task_id == Task.id, in_coming.c.round_id == coming.c.id)
        )
        .where(
            of(Task.id)
            if scope is not Scope.ALL
            else or_(Task.status.in_(ACTIVE), Task.signal != GREEN)
        )
    )


# The columns of ``facts_query`` that ``facts_of`` reads: tasks alike in these are judged alike
FACT_COLUMNS = (
    "status",
    "first_phrase",
    "first_due",
    "last_due",
    "past_due",
    "reported_past",
    "reported_next",
    "percent_done",
    "year",
    "started_on",
)


@cache
def fact_key() -> Any:
    """What, of a row of ``facts_query``, makes its facts (as one tuple, cheaply)."""
    names = list(facts_query(Scope.ALL).selected_columns.keys())
    return itemgetter(*(names.index(name) for name in FACT_COLUMNS))


def facts_of(row: Any, today: date, **changed: Any) -> TaskFacts:
    """The facts of one row of ``facts_query``, with ``changed`` ones replaced (a submission
    judges the task as it will be once its report is in)."""
    year = row.year or today.year
    facts = {
        "today": today,
        "status": row.status,
        "first_deadline": (row.first_phrase, row.first_due) if row.first_due else None,
        "last_deadline": row.last_due,
        "round_due": row.past_due,
        "reported_in_round": bool(row.reported_past),
        "reported_for_next": bool(row.reported_next),
        "percent_done": row.percent_done,
        "year": year,
        "started_on": row.started_on or date(year, 1, 1),
    }
    return TaskFacts(**(facts | changed))
