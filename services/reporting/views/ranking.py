"""By unit: each unit's shares (as lead, responsible, cooperating), completed, on time,
overdue, reports missing, last report, where its shares stand against 序时进度, and the
ranking by the government's scoring rule (``rules.ScoringRule``). One grouped query."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

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
    """Counted in SQL per unit and role (a few rows per unit; no role test per share), folded
    here: the roles a unit answers for make its counted shares, 欠 is what is neither done
    nor 达 (so 序时进度 is worked out twice per share, not three times)."""
    d = as_of.toordinal()
    percent = func.coalesce(A.percent, 0)
    exp = facts.expected(d)
    not_done = T.status != rules.DONE
    round_now = facts.current_round(d, period)
    query = facts.with_missing(
        select(
            A.unit,
            A.government_id,
            A.role,
            func.count(),
            facts.flag(facts.done()),
            facts.flag(facts.on_time()),
            facts.flag(and_(not_done, percent >= exp + rules.AHEAD_MARGIN)),
            facts.flag(and_(not_done, percent >= exp)),
            facts.flag(facts.overdue(d)),
            facts.flag(facts.owed(round_now)),
            func.max(A.last_report_at),
        ).join(T, T.task_id == A.task_id),
        round_now,
    )
    query = query.where(A.status.not_in(rules.GONE)).group_by(A.government_id, A.unit, A.role)
    if scope.units is not None:
        query = query.where(A.unit.in_(scope.units))
    units: dict[tuple[str, str], dict[str, Any]] = {}
    for row in session.execute(facts.scoped(query, scope)):
        unit, gov, role, count, done, on_time, ahead, reached, overdue, missing, last = row
        figures = units.setdefault((gov, unit), dict.fromkeys(COUNTS, 0) | {"last": None})
        if last is not None and (figures["last"] is None or last > figures["last"]):
            figures["last"] = last
        if role == "cooperating":
            figures["as_helper"] += count
        if role not in rules.ANSWERABLE:
            continue
        figures["as_lead" if role == "lead" else "as_responsible"] += count
        for key, value in zip(
            COUNTS[3:], (count, done, on_time, ahead, reached, overdue, missing), strict=True
        ):
            figures[key] += value or 0
    return [
        UnitFigures(
            unit=unit,
            government_id=gov,
            tasks=f["tasks"],
            as_lead=f["as_lead"],
            as_responsible=f["as_responsible"],
            as_helper=f["as_helper"],
            done=f["done"],
            done_on_time=f["done_on_time"],
            ahead=f["ahead"],
            on_schedule=f["reached"] - f["ahead"],
            behind=f["tasks"] - f["done"] - f["reached"],
            overdue=f["overdue"],
            missing=f["missing"],
            last_report_at=f["last"],
        )
        for (gov, unit), f in units.items()
    ]


COUNTS = (
    "as_lead",
    "as_responsible",
    "as_helper",
    "tasks",
    "done",
    "done_on_time",
    "ahead",
    "reached",
    "overdue",
    "missing",
)


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
