"""The overview: per government and document, tasks by status, by signal and by 序时进度,
completion and on-time rates, overdue tasks and reports missing this round. Counted in SQL
(grouped rows, then summed here), so it answers for a province's ten thousand tasks."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from services.reporting import rules
from services.reporting.models import AssignmentView, DocumentView, TaskView
from services.reporting.views import facts
from services.reporting.views.scope import Scope

T = TaskView


class Figures(BaseModel):
    task_count: int = 0
    by_status: dict[str, int] = Field(default_factory=dict)
    by_signal: dict[str, int] = Field(
        default_factory=dict, description="red / yellow / green of tasks under way; done: 已办结"
    )
    by_schedule: dict[str, int] = Field(
        default_factory=dict, description="已完成 / 超序时进度 / 达序时进度 / 欠序时进度"
    )
    completed: int = 0
    completion_rate: float = Field(0.0, description="已办结 ÷ 任务数，百分比")
    on_time: int = 0
    on_time_rate: float = Field(0.0, description="按时办结 ÷ 已办结，百分比")
    overdue: int = 0
    missing_reports: int = Field(0, description="本轮应报未报的（任务、单位）数")
    tasks_missing_reports: int = Field(0, description="本轮有单位未报送的任务数")

    def add(self, other: Figures) -> None:
        self.task_count += other.task_count
        for mine, theirs in (
            (self.by_status, other.by_status),
            (self.by_signal, other.by_signal),
            (self.by_schedule, other.by_schedule),
        ):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value
        self.completed += other.completed
        self.on_time += other.on_time
        self.overdue += other.overdue
        self.missing_reports += other.missing_reports
        self.tasks_missing_reports += other.tasks_missing_reports

    def rates(self) -> None:
        self.completion_rate = percent(self.completed, self.task_count)
        self.on_time_rate = percent(self.on_time, self.completed)


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


class DocumentFigures(Figures):
    government_id: str
    document_id: str
    title: str = ""
    doc_number: str | None = None
    current_round: str | None = Field(None, description="本轮：报送日期已过的最近一轮")


class Overview(Figures):
    as_of: date
    government_id: str | None
    unit_count: int = 0
    documents: list[DocumentFigures] = Field(default_factory=list)
    rules: dict[str, str] = Field(default_factory=dict, description="计算口径")


def overview(session: Session, scope: Scope, as_of: date) -> Overview:
    d = as_of.toordinal()
    signal = case((facts.done(), "done"), else_=T.signal).label("colour")
    place = facts.bucket(d, T.percent).label("place")
    grouped = facts.scoped(
        select(
            T.government_id,
            T.document_id,
            T.status,
            signal,
            place,
            func.count(),
            facts.flag(facts.on_time()),
            facts.flag(facts.overdue(d)),
        ).group_by(T.government_id, T.document_id, T.status, signal, place),
        scope,
    )
    docs: dict[tuple[str, str], DocumentFigures] = {}
    for gov, doc, status, colour, place, count, on_time, overdue in session.execute(grouped):
        figures = docs.setdefault((gov, doc), DocumentFigures(government_id=gov, document_id=doc))
        figures.task_count += count
        figures.by_status[status] = figures.by_status.get(status, 0) + count
        figures.by_signal[colour] = figures.by_signal.get(colour, 0) + count
        figures.by_schedule[place] = figures.by_schedule.get(place, 0) + count
        figures.completed += count if status == rules.DONE else 0
        figures.on_time += on_time or 0
        figures.overdue += overdue or 0
    _missing(session, scope, d, docs)
    _documents(session, docs)
    total = Overview(as_of=as_of, government_id=scope.government, rules=rules.RULES_TEXT)
    for figures in docs.values():
        figures.rates()
        total.add(figures)
    total.rates()
    total.documents = sorted(docs.values(), key=lambda f: (f.government_id, f.title))
    total.unit_count = _units(session, scope)
    return total


def _missing(
    session: Session, scope: Scope, d: int, docs: dict[tuple[str, str], DocumentFigures]
) -> None:
    round_now = facts.current_round(d)
    per_task = facts.with_missing(
        select(T.government_id, T.document_id, T.task_id, func.count().label("pairs"))
        .select_from(AssignmentView)
        .join(T, T.task_id == AssignmentView.task_id),
        round_now,
    )
    per_task = facts.scoped(per_task.where(facts.missing(round_now)), scope)
    per_task = per_task.group_by(T.government_id, T.document_id, T.task_id).subquery("per_task")
    query = select(
        per_task.c.government_id, per_task.c.document_id, func.sum(per_task.c.pairs), func.count()
    ).group_by(per_task.c.government_id, per_task.c.document_id)
    for gov, doc, pairs, tasks in session.execute(query):
        if (gov, doc) in docs:
            docs[(gov, doc)].missing_reports += int(pairs)
            docs[(gov, doc)].tasks_missing_reports += tasks
    rounds = facts.current_round(d)
    for doc, period in session.execute(select(rounds.c.document_id, rounds.c.period)):
        for (_, doc_id), figures in docs.items():
            if doc_id == doc:
                figures.current_round = period


def _documents(session: Session, docs: dict[tuple[str, str], DocumentFigures]) -> None:
    ids = {doc for _, doc in docs}
    if not ids:
        return
    rows = session.execute(
        select(DocumentView.document_id, DocumentView.title, DocumentView.doc_number).where(
            DocumentView.document_id.in_(ids)
        )
    )
    known = {doc: (title, number) for doc, title, number in rows}
    for (_, doc), figures in docs.items():
        figures.title, figures.doc_number = known.get(doc, ("", None))


def _units(session: Session, scope: Scope) -> int:
    units = select(AssignmentView.unit).join(T, T.task_id == AssignmentView.task_id)
    units = facts.scoped(units.where(AssignmentView.status.not_in(rules.GONE)), scope)
    units = units.group_by(AssignmentView.unit).subquery("units")  # hashed, not sorted
    return session.scalar(select(func.count()).select_from(units)) or 0
