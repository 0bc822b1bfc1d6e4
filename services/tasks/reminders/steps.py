"""Which reminder is due today for a deadline or a reporting round: pure, from dates, the
working-day calendar and the government's policy. After downtime it names only the latest
step that applies (one overdue reminder, not one per missed tick); the dedup key does the
rest.

A notice published late does not flood its units. ``arrived`` is the day the task was
registered (None when the scan is about a day before that: an operator's replay of the past
sees the task as if it had been there in time). A before-due step whose moment had passed
when the task arrived is not sent; a task overdue on arrival gets one overdue reminder (the
latest step, as after downtime); the leader is told, and the task put on the 通报 list, only
once their intervals have passed since the task arrived, not since a due date nobody here
could have acted on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.tasks.calendar import WorkCalendar


@dataclass(frozen=True)
class ReminderPolicy:
    before_due: tuple[int, ...] = (5, 3, 1)  # working days before a deadline
    overdue_every: int = 3  # then every M working days while overdue
    report_before: int = 3  # working days before a reporting round is due
    escalate_to_leader_after: int = 5  # overdue working days before the leader is told
    circular_after: int = 10  # overdue working days before the task goes on the 通报 list


class ReminderKind(StrEnum):
    BEFORE_DUE = "before_due"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    REPORT_DUE = "report_due"
    REPORT_MISSING = "report_missing"
    ESCALATION = "escalation"  # to the leaders in charge
    CIRCULAR = "circular"  # on the 通报 list


@dataclass(frozen=True)
class Step:
    kind: ReminderKind
    step: str  # -5, 0, +1, +4, …: working days relative to the due date

    def key(self, subject: str, due: date) -> str:
        return f"{self.kind}:{subject}:{due.isoformat()}:{self.step}"


def deadline_step(
    due: date,
    today: date,
    calendar: WorkCalendar,
    policy: ReminderPolicy,
    arrived: date | None = None,
) -> Step | None:
    if today == due:
        return Step(ReminderKind.DUE_TODAY, "0")
    if today < due:
        left = calendar.workdays_between(today, due)
        passed = [k for k in policy.before_due if left <= k]
        if not passed:
            return None
        step = min(passed)
        if arrived is not None and calendar.workdays_between(arrived, due) < step:
            return None  # its moment had passed before the task arrived
        return Step(ReminderKind.BEFORE_DUE, f"-{step}")
    late = calendar.workdays_between(due, today)
    if late < 1:
        return None  # past the date but not yet a working day late (a weekend)
    every = max(policy.overdue_every, 1)
    return Step(ReminderKind.OVERDUE, f"+{1 + (late - 1) // every * every}")


def escalation_steps(
    due: date,
    today: date,
    calendar: WorkCalendar,
    policy: ReminderPolicy,
    arrived: date | None = None,
) -> list[Step]:
    if today <= due:
        return []
    late = calendar.workdays_between(max(due, arrived or due), today)
    steps = []
    if late >= policy.escalate_to_leader_after:
        steps.append(Step(ReminderKind.ESCALATION, f"+{policy.escalate_to_leader_after}"))
    if late >= policy.circular_after:
        steps.append(Step(ReminderKind.CIRCULAR, f"+{policy.circular_after}"))
    return steps


def milestone_steps(
    due: date,
    today: date,
    calendar: WorkCalendar,
    policy: ReminderPolicy,
    arrived: date | None = None,
) -> list[Step]:
    """Every step that applies today to a deadline due on ``due``, in a fixed order."""
    step = deadline_step(due, today, calendar, policy, arrived)
    escalations = escalation_steps(due, today, calendar, policy, arrived)
    return [*([step] if step else []), *escalations]


def settled_after(policies: list[ReminderPolicy]) -> int:
    """Working days after which a task's arrival no longer changes its steps: the before-due
    steps are behind it and the escalation intervals have run since it arrived."""
    return 1 + max(
        max((*p.before_due, p.escalate_to_leader_after, p.circular_after)) for p in policies
    )


COUNTDOWN_DAYS = 8  # today and the week after: a message held overnight stays true


def countdown(due: date, today: date, calendar: WorkCalendar) -> dict[date, int]:
    """Working days from each of the next days to ``due`` (0 on the day, negative when
    overdue): what a reminder sent that day says, whichever step made it due; notify, which
    may hold a message for quiet hours, has no calendar of its own."""
    days = (today + timedelta(n) for n in range(COUNTDOWN_DAYS))
    return {day: calendar.workdays_between(day, due) for day in days}


def round_step(
    due: date, today: date, calendar: WorkCalendar, policy: ReminderPolicy
) -> Step | None:
    """For a unit that has not reported in the round yet."""
    if today <= due:
        left = calendar.workdays_between(today, due)
        if left <= policy.report_before:
            return Step(ReminderKind.REPORT_DUE, f"-{policy.report_before}")
        return None
    if calendar.workdays_between(due, today) >= 1:
        return Step(ReminderKind.REPORT_MISSING, "+1")
    return None
