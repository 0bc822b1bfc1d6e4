"""The per-task and per-share facts the counted views need, as SQL expressions over the read
models at a given day ``D`` (a day number): 序时进度, overdue, done on time, the bucket, the
current round and whether a share's report for it is missing. The same rules as
``rules.py`` (which the lists apply in Python), in integer arithmetic both databases share.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.sql import ColumnElement

from services.reporting import rules
from services.reporting.models import AssignmentView, RoundView, TaskView
from services.reporting.views.scope import Scope

T = TaskView


def expected(d: int) -> ColumnElement[int]:
    day = literal_column(str(int(d)))  # inline: grouped-by expressions must match to the letter
    span = T.end_day - T.start_day
    raw = (200 * (day - T.start_day) + span) // (2 * span)
    return case(
        (day <= T.start_day, 0),
        (T.end_day <= T.start_day, 100),
        (raw > 100, 100),
        else_=raw,
    )


def overdue(d: int) -> ColumnElement[bool]:
    return and_(T.status.in_(rules.ACTIVE), T.first_due_day.is_not(None), T.first_due_day < d)


def done() -> ColumnElement[bool]:
    return T.status == rules.DONE


def on_time() -> ColumnElement[bool]:
    return and_(done(), T.completed_day <= T.deadline_day)


def bucket(d: int, percent: Any, margin: int = rules.AHEAD_MARGIN) -> ColumnElement[str]:
    exp = expected(d)
    return case(
        (done(), rules.Bucket.DONE.value),
        (percent >= exp + margin, rules.Bucket.AHEAD.value),
        (percent >= exp, rules.Bucket.ON_SCHEDULE.value),
        else_=rules.Bucket.BEHIND.value,
    )


def flag(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def current_round(d: int, period: str | None = None) -> Any:
    """Per document, the round in question: ``period`` when named, else the latest due
    before ``d`` (the round whose reports are owed by now). A handful of rows (one per
    document), the only part of "missing" that depends on the day."""
    columns = (RoundView.document_id, RoundView.period, RoundView.due_day, RoundView.seq)
    if period is not None:
        return select(*columns).where(RoundView.period == period).subquery("round_now")
    latest = (
        select(RoundView.document_id, func.max(RoundView.due_day).label("due_day"))
        .where(RoundView.due_day < d)
        .group_by(RoundView.document_id)
        .subquery("latest_round")
    )
    return (
        select(*columns)
        .join(
            latest,
            and_(
                latest.c.document_id == RoundView.document_id,
                latest.c.due_day == RoundView.due_day,
            ),
        )
        .subquery("round_now")
    )


def share_counts() -> ColumnElement[bool]:
    """A share the unit answers for: lead or responsible, still held."""
    return and_(AssignmentView.role.in_(rules.ANSWERABLE), AssignmentView.status.not_in(rules.GONE))


def reported(round_now: Any) -> ColumnElement[bool]:
    """The share's unit reported in the round: its ``rounds`` say so at the round's place
    (kept from ``UnitRound`` as reports arrive, so no join to the reports per round)."""
    return func.substr(AssignmentView.rounds, round_now.c.seq, 1) == "1"


def owed(round_now: Any) -> ColumnElement[bool]:
    """The round is owed on the share's task (under way, started before the round's date)
    and its unit has not reported in it; whether the share counts is the caller's test."""
    return and_(
        T.status.in_(rules.ACTIVE),
        round_now.c.period.is_not(None),
        T.start_day <= round_now.c.due_day,
        ~reported(round_now),
    )


def missing(round_now: Any) -> ColumnElement[bool]:
    """The share owes a report for the round and has none."""
    return and_(share_counts(), owed(round_now))


def with_missing(query: Any, round_now: Any) -> Any:
    """``query`` (over shares joined to tasks) outer-joined to its document's round."""
    return query.outerjoin(round_now, round_now.c.document_id == T.document_id)


def scoped(query: Any, scope: Scope) -> Any:
    if scope.government is not None:
        query = query.where(T.government_id == scope.government)
    if scope.units is not None:
        mine = select(AssignmentView.task_id).where(AssignmentView.unit.in_(scope.units))
        query = query.where(T.task_id.in_(mine))
    return query.where(T.status != rules.WITHDRAWN)
