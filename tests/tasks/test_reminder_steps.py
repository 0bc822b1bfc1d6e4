"""The reminder rule, step by step: which reminder a deadline or a reporting round gets on
each day, in a table that reads as the rule itself. Pure: no database, milliseconds.

The days are those around the 2022 National Day holiday (10-01…10-07 off, Saturday 10-08
and Sunday 10-09 worked), for a deadline on Monday 2022-10-10 and a round due Friday 09-30,
under the default policy (before: 5, 3, 1 working days; overdue every 3; the leader at +5;
the 通报 list at +10; a report reminded 3 working days before)."""

from __future__ import annotations

from datetime import date

import pytest

from services.tasks.calendar import WorkCalendar
from services.tasks.reminders.scan import Request
from services.tasks.reminders.steps import (
    ReminderPolicy,
    Step,
    milestone_steps,
    round_step,
)
from shared.contracts import limits

CALENDAR = WorkCalendar({})
DEFAULT = ReminderPolicy()
DUE = date(2022, 10, 10)
ROUND = date(2022, 9, 30)

# today, the steps of a deadline due 2022-10-10 on that day
DEADLINE = [
    (date(2022, 9, 27), []),  # 6 working days before: nothing yet
    (date(2022, 9, 28), [("before_due", "-5")]),
    (date(2022, 9, 29), [("before_due", "-5")]),  # still the -5 step: asked once by its key
    (date(2022, 9, 30), [("before_due", "-3")]),
    (date(2022, 10, 3), [("before_due", "-3")]),  # a holiday counts no working day
    (date(2022, 10, 8), [("before_due", "-3")]),  # a make-up Saturday: 2 left
    (date(2022, 10, 9), [("before_due", "-1")]),  # a make-up Sunday: 1 left
    (DUE, [("due_today", "0")]),
    (date(2022, 10, 11), [("overdue", "+1")]),
    (date(2022, 10, 13), [("overdue", "+1")]),
    (date(2022, 10, 14), [("overdue", "+4")]),  # every 3 working days while overdue
    (date(2022, 10, 15), [("overdue", "+4")]),  # a weekend moves nothing
    (date(2022, 10, 17), [("overdue", "+4"), ("escalation", "+5")]),  # the leader is told
    (date(2022, 10, 19), [("overdue", "+7"), ("escalation", "+5")]),
    (
        date(2022, 10, 24),
        [("overdue", "+10"), ("escalation", "+5"), ("circular", "+10")],  # on the 通报 list
    ),
]


@pytest.mark.parametrize(("today", "expected"), DEADLINE, ids=[str(d) for d, _ in DEADLINE])
def test_the_steps_of_a_deadline(today: date, expected: list[tuple[str, str]]) -> None:
    steps = milestone_steps(DUE, today, CALENDAR, DEFAULT)
    assert [(s.kind, s.step) for s in steps] == expected


def test_a_deadline_passed_on_a_friday_is_not_late_before_monday() -> None:
    friday = date(2022, 11, 4)
    assert milestone_steps(friday, date(2022, 11, 5), CALENDAR, DEFAULT) == []
    monday = milestone_steps(friday, date(2022, 11, 7), CALENDAR, DEFAULT)
    assert [(s.kind, s.step) for s in monday] == [("overdue", "+1")]


# today, the step of a round due 2022-09-30 for a unit that has not reported in it
ROUND_STEPS = [
    (date(2022, 9, 26), None),  # 4 working days before
    (date(2022, 9, 27), ("report_due", "-3")),
    (ROUND, ("report_due", "-3")),
    (date(2022, 10, 1), None),  # the holiday: not yet a working day late
    (date(2022, 10, 8), ("report_missing", "+1")),  # the first working day after: a Saturday
    (date(2022, 11, 30), ("report_missing", "+1")),  # asked once, by its key
]


@pytest.mark.parametrize(("today", "expected"), ROUND_STEPS, ids=[str(d) for d, _ in ROUND_STEPS])
def test_the_step_of_a_reporting_round(today: date, expected: tuple[str, str] | None) -> None:
    step = round_step(ROUND, today, CALENDAR, DEFAULT)
    assert (None if step is None else (step.kind, step.step)) == expected


# policy, today, the steps of the deadline due 2022-10-10
POLICIES = [
    (ReminderPolicy(before_due=(2,)), date(2022, 10, 8), [("before_due", "-2")]),
    (ReminderPolicy(before_due=()), date(2022, 10, 9), []),
    (
        ReminderPolicy(overdue_every=5),
        date(2022, 10, 17),
        [("overdue", "+1"), ("escalation", "+5")],
    ),
    (ReminderPolicy(overdue_every=1), date(2022, 10, 12), [("overdue", "+2")]),
    (
        ReminderPolicy(escalate_to_leader_after=2, circular_after=4),
        date(2022, 10, 14),
        [("overdue", "+4"), ("escalation", "+2"), ("circular", "+4")],
    ),
]


@pytest.mark.parametrize(("policy", "today", "expected"), POLICIES)
def test_a_government_s_policy_decides_the_steps(
    policy: ReminderPolicy, today: date, expected: list[tuple[str, str]]
) -> None:
    assert [(s.kind, s.step) for s in milestone_steps(DUE, today, CALENDAR, policy)] == expected


def test_the_dedup_key_names_what_whom_which_date_and_which_step() -> None:
    key = Step("overdue", "+4").key("T1:m7:县住建局,县财政局", DUE)  # type: ignore[arg-type]
    assert key == "overdue:T1:m7:县住建局,县财政局:2022-10-10:+4"


def test_the_dedup_key_of_many_units_names_them_by_digest_within_the_contract() -> None:
    def key(units: list[str]) -> str:
        step = Step("overdue", "+4")  # type: ignore[arg-type]
        return Request(step, "T1", "g", DUE, "年底前", units, [], "1", "…", "m7").key

    many = [f"第{n}街道办事处" for n in range(40)]  # a group expanded into its members
    assert len(key(many)) <= limits.DEDUP_KEY
    assert key(many) != key(many[:-1]), "other units, another key"
    assert key(["县住建局", "县财政局"]) == "overdue:T1:m7:县住建局,县财政局:2022-10-10:+4"
