"""The red / yellow / green signal of a task, with the reason in words. Pure.

Red: a milestone is overdue, the current round's report is missing after its due date, or
the reported progress is far behind the time elapsed (序时进度). Yellow: a milestone is due
within a few working days with no progress this round, or progress is somewhat behind.
Green otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.tasks.calendar import WorkCalendar


@dataclass(frozen=True)
class SignalPolicy:
    due_soon_workdays: int = 5
    yellow_gap: int = 15  # percentage points behind 序时进度
    red_gap: int = 30


@dataclass(frozen=True)
class TaskFacts:
    today: date
    open_deadlines: list[tuple[str, date]]  # (phrase, due date) of open milestones
    round_due: date | None  # the latest round due on or before today, if any
    reported_in_round: bool  # a report since the previous round's due date
    reported_recently: bool  # a report in the current (not yet due) round
    percent_done: int
    period: tuple[date, date]  # when the task's work runs: start, final deadline


def expected_percent(today: date, period: tuple[date, date]) -> int:
    """序时进度: the share of the task's period that has elapsed."""
    start, end = period
    if today <= start or end <= start:
        return 0 if today <= start else 100
    return min(100, round(100 * (today - start).days / (end - start).days))


def compute_signal(
    facts: TaskFacts, calendar: WorkCalendar, policy: SignalPolicy | None = None
) -> tuple[str, str]:
    policy = policy or SignalPolicy()
    overdue = [(p, d) for p, d in facts.open_deadlines if d < facts.today]
    if overdue:
        phrase, due = min(overdue, key=lambda pd: pd[1])
        late = calendar.workdays_between(due, facts.today)
        return "red", f"时间节点“{phrase}”（{due:%Y-%m-%d}）已逾期{late}个工作日"
    if facts.round_due and facts.round_due < facts.today and not facts.reported_in_round:
        return "red", f"{facts.round_due:%Y-%m-%d}前应报送的进展未报送"
    gap = expected_percent(facts.today, facts.period) - facts.percent_done
    if gap > policy.red_gap:
        return "red", f"进度{facts.percent_done}%，落后序时进度{gap}个百分点"
    soon = [
        (p, d)
        for p, d in facts.open_deadlines
        if calendar.workdays_between(facts.today, d) <= policy.due_soon_workdays
    ]
    if soon and not facts.reported_recently:
        phrase, due = min(soon, key=lambda pd: pd[1])
        return "yellow", f"时间节点“{phrase}”（{due:%Y-%m-%d}）临近，本轮尚未报送进展"
    if gap > policy.yellow_gap:
        return "yellow", f"进度{facts.percent_done}%，落后序时进度{gap}个百分点"
    return "green", "按计划推进"
