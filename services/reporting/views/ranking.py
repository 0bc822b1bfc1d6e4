"""By unit: each unit's shares (as lead, responsible, cooperating), completed, on time,
overdue, reports missing, last report, where its shares stand against 序时进度, and the
ranking by the government's scoring rule (``rules.ScoringRule``). One grouped query."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from services.reporting import rules
from services.reporting.models import AssignmentView, RankingRule, TaskView
from services.reporting.views import facts
from services.reporting.views.scope import Scope

T, A = TaskView, AssignmentView


class UnitFigures(BaseModel):
    unit: str
    government_id: str
    tasks: int = Field(description="牵头、责任任务数（计分口径）")
    as_lead: int
    as_responsible: int
    as_helper: int = Field(description="配合任务数（不计分）")
    done: int
    done_on_time: int
    ahead: int
    on_schedule: int
    behind: int
    overdue: int
    missing: int = Field(description="本轮漏报任务数")
    last_report_at: datetime | None
    score: float = 0.0
    rank: int = 0


class Ranking(BaseModel):
    as_of: date
    government_id: str | None
    rule: dict[str, int]
    rule_text: str
    units: list[UnitFigures]


def rule_of(session: Session, government: str | None) -> rules.ScoringRule:
    row = session.get(RankingRule, government) if government else None
    return rules.ScoringRule(**row.rule) if row else rules.ScoringRule()


def unit_figures(
    session: Session, scope: Scope, as_of: date, period: str | None = None
) -> list[UnitFigures]:
    d = as_of.toordinal()
    counted = facts.share_counts()
    percent = func.coalesce(A.percent, 0)
    exp = facts.expected(d)
    not_done = T.status != rules.DONE
    round_now = facts.current_round(d, period)
    query = facts.with_missing(
        select(
            A.unit,
            A.government_id,
            facts.flag(counted),
            facts.flag(and_(counted, A.role == "lead")),
            facts.flag(and_(counted, A.role == "responsible")),
            facts.flag(A.role == "cooperating"),
            facts.flag(and_(counted, facts.done())),
            facts.flag(and_(counted, facts.on_time())),
            facts.flag(and_(counted, not_done, percent >= exp + rules.AHEAD_MARGIN)),
            facts.flag(and_(counted, not_done, percent >= exp, percent < exp + rules.AHEAD_MARGIN)),
            facts.flag(and_(counted, not_done, percent < exp)),
            facts.flag(and_(counted, facts.overdue(d))),
            facts.flag(facts.missing(round_now)),
            func.max(A.last_report_at),
        ).join(T, T.task_id == A.task_id),
        round_now,
    )
    query = query.where(A.status.not_in(rules.GONE)).group_by(A.government_id, A.unit)
    if scope.units is not None:
        query = query.where(A.unit.in_(scope.units))
    rows = session.execute(facts.scoped(query, scope))
    names = UnitFigures.model_fields
    keys = [k for k in names if k not in ("score", "rank")]
    return [UnitFigures(**dict(zip(keys, row, strict=True))) for row in rows]


def ranking(session: Session, scope: Scope, as_of: date, period: str | None = None) -> Ranking:
    rule = rule_of(session, scope.government)
    units = unit_figures(session, scope, as_of, period)
    for figures in units:
        figures.score = rule.score(figures.model_dump())
    units.sort(key=lambda f: (f.government_id, -f.score, -f.tasks, f.unit))
    position, rank, previous = 0, 0, None
    for figures in units:
        key = (figures.government_id, figures.score, figures.tasks)
        if previous is None or key[0] != previous[0]:
            position = 0
        position += 1
        if key != previous:
            rank = position  # equal scores and task counts share a place: 1, 1, 3
        figures.rank, previous = rank, key
    return Ranking(
        as_of=as_of,
        government_id=scope.government,
        rule=rule.as_dict(),
        rule_text=rule.text(),
        units=units,
    )
