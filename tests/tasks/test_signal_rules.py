"""The signal rule, case by case: every colour and every reason it gives, in a table that
reads as the rule itself. Pure: no database, milliseconds.

The calendar is the real one of 2026 (国庆 10-01…10-08, with 09-28 and 10-11 worked)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.tasks.calendar import WorkCalendar
from services.tasks.signals.rules import (
    Signal,
    SignalPolicy,
    TaskFacts,
    compute_signal,
    expected_percent,
    work_started,
)

CALENDAR = WorkCalendar({})
TODAY = date(2026, 7, 1)  # 序时进度 of a task running the whole year: 50 %
ON_PLAN = TaskFacts(
    today=TODAY,
    status="in_progress",
    first_deadline=None,
    last_deadline=None,
    round_due=date(2026, 6, 30),
    reported_in_round=True,
    reported_for_next=False,
    percent_done=50,
    year=2026,
    started_on=date(2026, 1, 1),
)

# name, what differs from a task on plan, colour, reason
CASES = [
    ("on plan", {}, Signal.GREEN, "按计划推进"),
    ("on plan, a little behind", {"percent_done": 36}, Signal.GREEN, "按计划推进"),
    (
        "somewhat behind 序时进度",
        {"percent_done": 34},
        Signal.YELLOW,
        "进度34%，落后序时进度16个百分点",
    ),
    (
        "far behind 序时进度",
        {"percent_done": 19},
        Signal.RED,
        "进度19%，落后序时进度31个百分点",
    ),
    (
        "a deadline passed",
        {"first_deadline": ("6月底前开工", date(2026, 6, 26))},
        Signal.RED,
        "时间节点“6月底前开工”（2026-06-26）已逾期3个工作日",
    ),
    (
        "the last round's report is missing",
        {"reported_in_round": False},
        Signal.RED,
        "2026-06-30前应报送的进展未报送",
    ),
    (
        "a deadline within 5 working days, nothing reported for the coming round",
        {"first_deadline": ("7月8日前完成招标", date(2026, 7, 8))},
        Signal.YELLOW,
        "时间节点“7月8日前完成招标”（2026-07-08）临近，本轮尚未报送进展",
    ),
    (
        "a deadline due today counts as near",
        {"first_deadline": ("7月1日前", TODAY)},
        Signal.YELLOW,
        "时间节点“7月1日前”（2026-07-01）临近，本轮尚未报送进展",
    ),
    (
        "a deadline within 5 working days, already reported for the coming round",
        {"first_deadline": ("7月8日前完成招标", date(2026, 7, 8)), "reported_for_next": True},
        Signal.GREEN,
        "按计划推进",
    ),
    (
        "a deadline 6 working days away is not near yet",
        {"first_deadline": ("7月9日前", date(2026, 7, 9))},
        Signal.GREEN,
        "按计划推进",
    ),
    (
        "overdue wins over a missing report and over being behind",
        {
            "first_deadline": ("6月底前开工", date(2026, 6, 26)),
            "reported_in_round": False,
            "percent_done": 0,
        },
        Signal.RED,
        "时间节点“6月底前开工”（2026-06-26）已逾期3个工作日",
    ),
    (
        "a round that closed before the task started is not owed",
        {"reported_in_round": False, "started_on": TODAY, "percent_done": 0},
        Signal.GREEN,
        "按计划推进",
    ),
    (
        "a missing report wins over being behind",
        {"reported_in_round": False, "percent_done": 0},
        Signal.RED,
        "2026-06-30前应报送的进展未报送",
    ),
    (
        "being far behind wins over a near deadline",
        {"first_deadline": ("7月8日前", date(2026, 7, 8)), "percent_done": 10},
        Signal.RED,
        "进度10%，落后序时进度40个百分点",
    ),
    (
        "a task that started late runs its 序时进度 from its start",
        {"started_on": date(2026, 6, 1), "percent_done": 0},
        Signal.GREEN,
        "按计划推进",
    ),
    (
        "a deadline in the next year stretches the period",
        {"last_deadline": date(2027, 12, 31), "percent_done": 20},
        Signal.GREEN,
        "按计划推进",
    ),
    (
        "completed (销号): no warning colour, whatever the facts",
        {"status": "completed", "reported_in_round": False, "percent_done": 0},
        Signal.GREEN,
        "任务已办结，不计红黄灯",
    ),
    (
        "suspended: no warning colour",
        {"status": "suspended", "first_deadline": ("6月底前", date(2026, 6, 26))},
        Signal.GREEN,
        "任务已暂停，不计红黄灯",
    ),
    (
        "withdrawn: no warning colour",
        {"status": "withdrawn", "percent_done": 0},
        Signal.GREEN,
        "任务已撤销，不计红黄灯",
    ),
    (
        "a completion requested is still under way",
        {"status": "completion_requested", "reported_in_round": False},
        Signal.RED,
        "2026-06-30前应报送的进展未报送",
    ),
]


@pytest.mark.parametrize(("name", "differs", "colour", "reason"), CASES, ids=[c[0] for c in CASES])
def test_the_colour_and_its_reason(
    name: str, differs: dict[str, object], colour: Signal, reason: str
) -> None:
    assert compute_signal(replace(ON_PLAN, **differs), CALENDAR) == (colour, reason)


def test_a_stricter_policy_colours_sooner() -> None:
    strict = SignalPolicy(due_soon_workdays=8, yellow_gap=5, red_gap=10)
    assert compute_signal(replace(ON_PLAN, percent_done=44), CALENDAR, strict)[0] == Signal.YELLOW
    assert compute_signal(replace(ON_PLAN, percent_done=39), CALENDAR, strict)[0] == Signal.RED
    near = replace(ON_PLAN, first_deadline=("7月13日前", date(2026, 7, 13)))
    assert compute_signal(near, CALENDAR, strict)[0] == Signal.YELLOW


# year, the notice's date, registered on, 序时进度 starts on
STARTS = [
    (2026, None, date(2026, 2, 20), date(2026, 2, 20)),  # registered in its year
    (2026, date(2026, 2, 15), date(2026, 11, 10), date(2026, 11, 10)),  # registered late
    (2026, date(2026, 2, 15), date(2027, 3, 1), date(2026, 2, 15)),  # entered afterwards
    (2022, None, date(2026, 12, 1), date(2022, 1, 1)),  # a past year's notice, back-filled
    (2027, date(2026, 12, 20), date(2026, 12, 28), date(2027, 1, 1)),  # published before
]


@pytest.mark.parametrize(("year", "issued", "registered", "start"), STARTS)
def test_the_work_starts_when_the_task_started(
    year: int, issued: date | None, registered: date, start: date
) -> None:
    assert work_started(year, issued, registered) == start


def test_a_task_published_late_in_the_year_is_not_red_on_its_first_day() -> None:
    """The defect: registered on 2026-11-10, due 2026-12-03, it was "落后序时进度92个百分点"."""
    late = replace(
        ON_PLAN,
        today=date(2026, 11, 10),
        started_on=work_started(2026, date(2026, 2, 15), date(2026, 11, 10)),
        percent_done=0,
        round_due=None,
        first_deadline=None,
        last_deadline=None,
    )
    assert compute_signal(late, CALENDAR) == (Signal.GREEN, "按计划推进")
    assert expected_percent(date(2026, 11, 10), date(2026, 1, 1), date(2026, 12, 31)) == 86


@pytest.mark.parametrize(
    ("today", "percent"),
    [
        (date(2026, 1, 1), 0),
        (date(2025, 12, 1), 0),
        (date(2026, 7, 2), 50),
        (date(2026, 12, 31), 100),
        (date(2027, 3, 1), 100),
    ],
)
def test_schedule_percent_is_the_share_of_the_period_elapsed(today: date, percent: int) -> None:
    assert expected_percent(today, date(2026, 1, 1), date(2026, 12, 31)) == percent
