"""The rules of a progress submission, pure: the task's own figure from its units' figures,
which indicator an actual figure is for, and what a submission does to its task (refusals,
the round it counts for, the new status, figure and colour)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from services.tasks.access.principal import BUREAU, Principal, Role, require_unit
from services.tasks.errors import Conflict, Forbidden, Invalid, NotFound
from services.tasks.lifecycle.models import (
    ACTIVE,
    ANSWERABLE,
    AssignmentRole,
    AssignmentStatus,
    TaskStatus,
)

PERCENT_RULE = (
    "任务进度为牵头单位和责任单位最近一次报送进度的平均值（四舍五入；尚未报送的单位按 0% 计，"
    "配合单位和已退回的单位不计）；没有牵头、责任单位的任务取全部单位的平均值。"
)
TAKES_REPORTS = (*ACTIVE, TaskStatus.SUSPENDED)
ROLE_RANK = {role: rank for rank, role in enumerate(AssignmentRole)}  # a unit's first role


@dataclass(frozen=True)
class UnitFigure:
    """A unit's share of a task and its latest reported figure."""

    unit: str
    role: str
    status: str
    percent: int


def task_percent(figures: Iterable[UnitFigure]) -> int:
    """The task's own figure (see ``PERCENT_RULE``): each unit once, by its latest report."""
    figures = list(figures)
    counted = {
        f.unit: f.percent
        for f in figures
        if f.role in ANSWERABLE and f.status != AssignmentStatus.RETURNED
    } or {f.unit: f.percent for f in figures}
    if not counted:
        return 0
    return int(sum(counted.values()) / len(counted) + 0.5)


@dataclass(frozen=True)
class IndicatorRef:
    number: int
    phrase: str
    subject: str


def match_indicators(
    actuals: Mapping[str, float], indicators: Sequence[IndicatorRef], task_number: str
) -> dict[int, float]:
    """Actual figures by indicator number. A unit names an indicator as the notice prints it:
    by its number within the task ("1") or its words (the target phrase, or what it
    measures); an OA system cannot know internal ids."""
    by_name: dict[str, IndicatorRef] = {}
    for indicator in indicators:
        by_name.setdefault(str(indicator.number), indicator)
        for words in (indicator.phrase, indicator.subject):
            if words:
                by_name.setdefault("".join(words.split()), indicator)
    out: dict[int, float] = {}
    for name, value in actuals.items():
        found = by_name.get("".join(str(name).split()))
        if found is None:
            listed = "；".join(f"{i.number}. {i.phrase}" for i in indicators) or "（无）"
            raise Invalid(
                f"任务 {task_number} 没有“{name}”这项指标，请按序号或指标原文填写。"
                f"本任务的指标：{listed}"
            )
        out[found.number] = value
    return out


@dataclass(frozen=True)
class TaskSeen:
    """What a submission checks of its task."""

    id: str
    number: str
    government_id: str
    status: str
    leaders: Sequence[str]
    units: Sequence[UnitFigure]


def check_submission(task: TaskSeen, principal: Principal, unit: str) -> UnitFigure:
    """Who may report for which unit on which task; the unit's share, or a refusal worded
    for the clerk."""
    if not principal.sees_government(task.government_id) or not _sees(task, principal):
        raise Forbidden(f"无权查看或办理任务 {task.number}")
    require_unit(principal, unit)
    mine = [f for f in task.units if f.unit == unit]
    if not mine:
        raise NotFound(f"任务 {task.number} 没有交办给“{unit}”")
    if task.status not in TAKES_REPORTS:
        raise Conflict("任务已办结或已撤销，不再接收进展")
    return min(mine, key=lambda f: ROLE_RANK[f.role])


def _sees(task: TaskSeen, principal: Principal) -> bool:
    if principal.role in BUREAU:
        return True
    if principal.role == Role.LEADER:
        return principal.leader in task.leaders
    return any(principal.acts_for(f.unit) for f in task.units)


def status_after_report(status: str) -> TaskStatus | None:
    """A first report puts a task that was only assigned or acknowledged under way."""
    if status in (TaskStatus.ASSIGNED, TaskStatus.ACKNOWLEDGED):
        return TaskStatus.IN_PROGRESS
    return None


def with_figure(units: Sequence[UnitFigure], unit: str, percent: int) -> list[UnitFigure]:
    """The task's units once ``unit`` reported ``percent``."""
    return [UnitFigure(f.unit, f.role, f.status, percent) if f.unit == unit else f for f in units]


@dataclass(frozen=True)
class RoundRef:
    id: int
    period: str
    due_date: date
