"""Issue 11: a notice published late does not flood. The task below arrives (is registered)
on a chosen day; the clock-driven walk around the 2022 National Day holiday (10-01…10-07
off, Saturday 10-08 and Sunday 10-09 worked) shows what each arrival gets, under the default
policy (before: 5, 3, 1; overdue every 3; the leader at +5; the 通报 list at +10):

* steps whose moment had passed before the task arrived are not sent;
* a task overdue on arrival gets one overdue reminder, then the next at the usual interval;
* the leader is told, and the task put on the 通报 list, only once their intervals have
  passed since arrival;
* a unit is not chased for a reporting round that closed before the task existed.

The step rules themselves are in a table (pure); the walk goes through the scheduler's tick,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import update
from test_deadline_year import per_day, requests_made, walk, with_a_notice_of_2022

from services.tasks.calendar import WorkCalendar
from services.tasks.clock import BEIJING
from services.tasks.lifecycle.models import Task
from services.tasks.reminders.steps import ReminderPolicy, milestone_steps
from shared.service import ServiceRuntime

CALENDAR = WorkCalendar({})
DUE = date(2022, 10, 10)

# arrival, today, the steps that apply
ARRIVALS = [
    (date(2022, 10, 8), date(2022, 10, 8), []),  # 2 working days left: the -3 step had passed
    (date(2022, 10, 8), date(2022, 10, 9), [("before_due", "-1")]),
    (date(2022, 9, 30), date(2022, 9, 30), [("before_due", "-3")]),  # exactly 3 left: its day
    (date(2022, 10, 14), date(2022, 10, 14), [("overdue", "+4")]),  # overdue on arrival: one
    (date(2022, 10, 14), date(2022, 10, 17), [("overdue", "+4")]),  # +5 late, 1 since arrival
    (date(2022, 10, 14), date(2022, 10, 21), [("overdue", "+7"), ("escalation", "+5")]),
    (date(2022, 10, 24), date(2022, 10, 24), [("overdue", "+10")]),  # not yet the 通报 list
    (
        date(2022, 10, 24),
        date(2022, 11, 7),
        [("overdue", "+19"), ("escalation", "+5"), ("circular", "+10")],
    ),
    (None, date(2022, 10, 24), [("overdue", "+10"), ("escalation", "+5"), ("circular", "+10")]),
]


@pytest.mark.parametrize(("arrived", "today", "expected"), ARRIVALS)
def test_the_steps_of_a_task_that_arrived_late(
    arrived: date | None, today: date, expected: list[tuple[str, str]]
) -> None:
    steps = milestone_steps(DUE, today, CALENDAR, ReminderPolicy(), arrived)
    assert [(s.kind, s.step) for s in steps] == expected


@pytest.fixture
def tasks(tasks_service: ServiceRuntime) -> ServiceRuntime:
    return with_a_notice_of_2022(tasks_service)


def arrive(runtime: ServiceRuntime, day: date) -> None:
    """The task was registered on ``day`` (as the tasks service's clock saw it)."""
    at = datetime.combine(day, time(9), tzinfo=BEIJING)
    with runtime.sessions.begin() as session:
        session.execute(update(Task).values(created_at=at))


def test_a_task_overdue_on_arrival_is_reminded_once_then_as_usual(
    tasks: ServiceRuntime,
) -> None:
    arrive(tasks, date(2022, 10, 14))
    walk(tasks, date(2022, 10, 14), date(2022, 10, 26))
    assert per_day(requests_made(tasks)) == [
        ("2022-10-14", "overdue", "+4"),  # one, not the +1 missed before it arrived
        ("2022-10-19", "overdue", "+7"),
        ("2022-10-21", "escalation", "+5"),  # 5 working days after arrival, not after due
        ("2022-10-24", "overdue", "+10"),
    ], "no report_missing: the round of 09-30 closed before the task existed"


def test_a_task_arriving_two_days_before_its_deadline_gets_the_last_step_only(
    tasks: ServiceRuntime,
) -> None:
    arrive(tasks, date(2022, 10, 8))
    walk(tasks, date(2022, 10, 8), date(2022, 10, 10))
    assert per_day(requests_made(tasks)) == [
        ("2022-10-09", "before_due", "-1"),
        ("2022-10-10", "due_today", "0"),
    ], "nor the report of the round that closed on 09-30, before the task existed"


def test_a_replay_of_the_past_sees_the_task_as_if_it_had_been_there(
    tasks: ServiceRuntime,
) -> None:
    """An operator's scan of a day before the task arrived (``duban scan --date``)."""
    arrive(tasks, date(2026, 12, 1))
    walk(tasks, date(2022, 10, 21), date(2022, 10, 21))
    assert per_day(requests_made(tasks)) == [
        ("2022-10-21", "escalation", "+5"),
        ("2022-10-21", "overdue", "+7"),
        ("2022-10-21", "report_missing", "+1"),
    ]
