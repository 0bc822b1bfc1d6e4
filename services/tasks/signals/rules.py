"""Which colour a task gets, and why in words. Pure: facts and a calendar in, colour out.

A task that is no longer under way (办结, 暂停, 撤销) has no warning colour. Otherwise, red: a
milestone is overdue, the last round's report is missing after its due date (a round that
closed before the task started is not owed), or the reported progress is far behind the time
elapsed (序时进度). Yellow: a milestone is due within a few
working days with nothing reported for the coming round, or progress is somewhat behind.
Green otherwise.

序时进度 is the share of the task's working period elapsed: from the day the task started (see
``work_started``) to its last deadline, and at least to the end of its year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.tasks.calendar import WorkCalendar
from services.tasks.lifecycle.models import ACTIVE, TaskStatus


class Signal(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True)
class SignalPolicy:
    due_soon_workdays: int = 5
    yellow_gap: int = 15  # percentage points behind 序时进度
    red_gap: int = 30


DEFAULT_POLICY = SignalPolicy()


@dataclass(frozen=True)
class TaskFacts:
    today: date
    status: str
    # The earliest open deadline (phrase, due date), when it falls before the end of the
    # due-soon window: the only deadline the colour can name.
    first_deadline: tuple[str, date] | None
    last_deadline: date | None  # the latest open deadline, when later than the year's end
    round_due: date | None  # the latest reporting round due before today
    reported_in_round: bool  # a report in that round
    reported_for_next: bool  # a report already in the coming round
    percent_done: int
    year: int
    started_on: date


def work_started(year: int, issued: date | None, registered: date) -> date:
    """When the task's work began: the latest of 1 January, the notice's date and the day it
    was registered here; a date outside the task's year does not count (a task registered
    after its year ran from 1 January or the notice's date)."""
    return max([date(year, 1, 1), *(d for d in (issued, registered) if d and d.year == year)])


def expected_percent(today: date, start: date, end: date) -> int:
    """序时进度: the share of the period from ``start`` to ``end`` that has elapsed."""
    if today <= start or end <= start:
        return 0 if today <= start else 100
    return min(100, round(100 * (today - start).days / (end - start).days))


def schedule_percent(facts: TaskFacts) -> int:
    end = max(date(facts.year, 12, 31), facts.last_deadline or date(facts.year, 12, 31))
    return expected_percent(facts.today, facts.started_on, end)


def window_end(today: date, calendar: WorkCalendar, policy: SignalPolicy) -> date:
    """The first day after the due-soon window: deadlines before it can colour a task."""
    return calendar.add_workdays(today, policy.due_soon_workdays + 1)


def compute_signal(
    facts: TaskFacts, calendar: WorkCalendar, policy: SignalPolicy = DEFAULT_POLICY
) -> tuple[Signal, str]:
    if facts.status not in ACTIVE:
        return Signal.GREEN, f"任务{TaskStatus(facts.status).label}，不计红黄灯"
    today, first = facts.today, facts.first_deadline
    if first and first[1] < today:
        late = calendar.workdays_between(first[1], today)
        return Signal.RED, f"时间节点“{first[0]}”（{first[1]:%Y-%m-%d}）已逾期{late}个工作日"
    round_due = facts.round_due
    owed = round_due and facts.started_on <= round_due < today  # not a round before its time
    if owed and not facts.reported_in_round:
        return Signal.RED, f"{round_due:%Y-%m-%d}前应报送的进展未报送"
    gap = schedule_percent(facts) - facts.percent_done
    behind = f"进度{facts.percent_done}%，落后序时进度{gap}个百分点"
    if gap > policy.red_gap:
        return Signal.RED, behind
    soon = first and calendar.workdays_between(today, first[1]) <= policy.due_soon_workdays
    if soon and not facts.reported_for_next:
        return Signal.YELLOW, f"时间节点“{first[0]}”（{first[1]:%Y-%m-%d}）临近，本轮尚未报送进展"
    if gap > policy.yellow_gap:
        return Signal.YELLOW, behind
    return Signal.GREEN, "按计划推进"
