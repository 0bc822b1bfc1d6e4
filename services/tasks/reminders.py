"""Which reminder is due today for a deadline: pure, from dates, the working-day calendar and
the policy. After downtime it names only the latest step that applies (one overdue
reminder, not one per missed tick); the dedup key does the rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.tasks.calendar import WorkCalendar


@dataclass(frozen=True)
class ReminderPolicy:
    before_due: tuple[int, ...] = (5, 3, 1)  # working days before a deadline
    overdue_every: int = 3  # then every M working days while overdue
    report_before: int = 3  # working days before a reporting round is due
    escalate_to_leader_after: int = 5  # overdue working days before the leader is told
    circular_after: int = 10  # overdue working days before the task goes on the 通报 list


@dataclass(frozen=True)
class Step:
    kind: str  # before_due, due_today, overdue, report_due, report_missing, escalation, circular
    step: str  # -5, 0, +1, +4, …: working days relative to the due date

    def key(self, subject: str, due: date) -> str:
        return f"{self.kind}:{subject}:{due.isoformat()}:{self.step}"


def deadline_step(
    due: date, today: date, calendar: WorkCalendar, policy: ReminderPolicy
) -> Step | None:
    if today == due:
        return Step("due_today", "0")
    if today < due:
        left = calendar.workdays_between(today, due)
        passed = [k for k in policy.before_due if left <= k]
        return Step("before_due", f"-{min(passed)}") if passed else None
    late = calendar.workdays_between(due, today)
    if late < 1:
        return None  # past the date but not yet a working day late (a weekend)
    every = max(policy.overdue_every, 1)
    return Step("overdue", f"+{1 + (late - 1) // every * every}")


def escalation_steps(
    due: date, today: date, calendar: WorkCalendar, policy: ReminderPolicy
) -> list[Step]:
    if today <= due:
        return []
    late = calendar.workdays_between(due, today)
    steps = []
    if late >= policy.escalate_to_leader_after:
        steps.append(Step("escalation", f"+{policy.escalate_to_leader_after}"))
    if late >= policy.circular_after:
        steps.append(Step("circular", f"+{policy.circular_after}"))
    return steps


def round_step(
    due: date, today: date, calendar: WorkCalendar, policy: ReminderPolicy
) -> Step | None:
    """For a unit that has not reported in the round yet."""
    if today <= due:
        left = calendar.workdays_between(today, due)
        return (
            Step("report_due", f"-{policy.report_before}") if left <= policy.report_before else None
        )
    return Step("report_missing", "+1") if calendar.workdays_between(due, today) >= 1 else None
