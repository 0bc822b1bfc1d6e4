"""One government's tasks as the lists and documents need them, read at once and judged in
Python by ``rules``: a county's few dozen tasks and hundred units are one small read. The
counted views (``overview``, ``ranking``) do the same in SQL and a test holds them equal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.reporting import rules
from services.reporting.models import (
    AssignmentView,
    Definition,
    DocumentView,
    IndicatorView,
    RoundView,
    TaskView,
    UnitRound,
)
from services.reporting.views.scope import Scope


@dataclass
class Share:
    unit: str
    role: str
    status: str
    percent: int | None
    words: str
    problems: str
    last_report_at: datetime | None
    reports: int

    @property
    def counts(self) -> bool:
        return self.role in rules.ANSWERABLE and self.status not in rules.GONE


@dataclass
class TaskFacts:
    view: TaskView
    shares: list[Share]
    path: list[str]
    deadlines: list[dict]
    expected: int
    bucket: rules.Bucket
    overdue: bool
    workdays_overdue: int
    overdue_since: date | None
    round_period: str | None
    round_due: date | None
    missing_units: list[str] = field(default_factory=list)

    @property
    def on_time(self) -> bool:
        v = self.view
        return v.status == rules.DONE and (v.completed_day or 0) <= v.deadline_day

    @property
    def colour(self) -> str:
        return "done" if self.view.status == rules.DONE else self.view.signal


@dataclass
class Snapshot:
    as_of: date
    scope: Scope
    tasks: list[TaskFacts]
    documents: dict[str, DocumentView]
    rounds: dict[str, list[RoundView]]
    indicators: dict[str, list[IndicatorView]]

    def mine(self, unit: str) -> list[TaskFacts]:
        return [t for t in self.tasks if any(s.unit == unit for s in t.shares)]


def round_for(rounds: list[RoundView], as_of: date, period: str | None) -> RoundView | None:
    if period is not None:
        return next((r for r in rounds if r.period == period), None)
    past = [r for r in rounds if r.due_date < as_of]
    return max(past, key=lambda r: r.due_date) if past else None


def snapshot(
    session: Session,
    scope: Scope,
    as_of: date,
    period: str | None = None,
    document_id: str | None = None,
) -> Snapshot:
    query = select(TaskView).where(TaskView.status != rules.WITHDRAWN)
    if scope.government is not None:
        query = query.where(TaskView.government_id == scope.government)
    if document_id is not None:
        query = query.where(TaskView.document_id == document_id)
    if scope.units is not None:
        mine = select(AssignmentView.task_id).where(AssignmentView.unit.in_(scope.units))
        query = query.where(TaskView.task_id.in_(mine))
    views = list(session.scalars(query))
    ids = [v.task_id for v in views]
    doc_ids = {v.document_id for v in views}
    shares: dict[str, list[Share]] = {}
    definitions: dict[str, Definition] = {}
    indicators: dict[str, list[IndicatorView]] = {}
    marks: set[tuple[str, str, str]] = set()
    for chunk in _chunks(ids):
        for a in session.scalars(select(AssignmentView).where(AssignmentView.task_id.in_(chunk))):
            shares.setdefault(a.task_id, []).append(
                Share(
                    a.unit,
                    a.role,
                    a.status,
                    a.percent,
                    a.words or "",
                    a.problems or "",
                    a.last_report_at,
                    a.reports or 0,
                )
            )
        for d in session.scalars(select(Definition).where(Definition.task_id.in_(chunk))):
            definitions[d.task_id] = d
        for i in session.scalars(
            select(IndicatorView)
            .where(IndicatorView.task_id.in_(chunk))
            .order_by(IndicatorView.task_id, IndicatorView.number)
        ):
            indicators.setdefault(i.task_id, []).append(i)
        marks |= set(
            tuple(row)
            for row in session.execute(
                select(UnitRound.task_id, UnitRound.unit, UnitRound.period).where(
                    UnitRound.task_id.in_(chunk)
                )
            )
        )
    documents = {
        d.document_id: d
        for d in session.scalars(select(DocumentView).where(DocumentView.document_id.in_(doc_ids)))
    }
    rounds: dict[str, list[RoundView]] = {}
    for r in session.scalars(
        select(RoundView).where(RoundView.document_id.in_(doc_ids)).order_by(RoundView.due_day)
    ):
        rounds.setdefault(r.document_id, []).append(r)
    d = as_of.toordinal()
    tasks = []
    for v in sorted(views, key=lambda v: (v.government_id, v.document_id, _order(v.number))):
        expected = rules.expected_percent(d, v.start_day, v.end_day)
        overdue = v.status in rules.ACTIVE and v.first_due_day is not None and v.first_due_day < d
        since = date.fromordinal(v.first_due_day) if overdue and v.first_due_day else None
        current = round_for(rounds.get(v.document_id, []), as_of, period)
        definition = definitions.get(v.task_id)
        facts = TaskFacts(
            view=v,
            shares=sorted(shares.get(v.task_id, []), key=lambda s: (_role_rank(s.role), s.unit)),
            path=definition.path if definition else ([v.section] if v.section else []),
            deadlines=definition.deadlines if definition else [],
            expected=expected,
            bucket=rules.bucket(v.status, v.percent, expected),
            overdue=overdue,
            workdays_overdue=rules.workdays_between(since, as_of) if since else 0,
            overdue_since=since,
            round_period=current.period if current else None,
            round_due=current.due_date if current else None,
        )
        if current and v.status in rules.ACTIVE and v.start_day <= current.due_day:
            facts.missing_units = [
                s.unit
                for s in facts.shares
                if s.counts and (v.task_id, s.unit, current.period) not in marks
            ]
        tasks.append(facts)
    return Snapshot(as_of, scope, tasks, documents, rounds, indicators)


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _role_rank(role: str) -> int:
    return {"lead": 0, "responsible": 1, "cooperating": 2}.get(role, 3)


CHINESE_DIGITS = "〇一二三四五六七八九"


def _order(number: str) -> tuple[int, str]:
    """Tasks in the notice's order: 1, 2, … 10; （一）…（十二）."""
    digits = "".join(c for c in number if c.isdigit())
    if digits:
        return int(digits), number
    return _chinese(number.strip("（）()、. ")), number


def _chinese(words: str) -> int:
    if not words:
        return 10_000
    if "十" in words:
        tens, _, ones = words.partition("十")
        value = (CHINESE_DIGITS.find(tens) if tens else 1) * 10
        return value + (CHINESE_DIGITS.find(ones) if ones else 0)
    value = 0
    for c in words:
        n = CHINESE_DIGITS.find(c)
        if n < 0:
            return 10_000
        value = value * 10 + n
    return value
