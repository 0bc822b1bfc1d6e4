"""What a deadline scan must look at, so that looking at less gives what looking at
everything would. Since the last scan (``scan_state``), a reminder can become due only
because the calendar moved a due date's steps, or because something the scan reads changed:
the triggers of ``inputs`` marked the task (or everything) in ``scan_mark``. So a morning
tick looks at the due dates whose steps moved overnight and at the marked tasks, a second
tick the same day at the marked tasks only.

For a task not marked, a step that applied on the last scan day was asked then; only the
steps new today can be new reminders. Everything is looked at when there is no last scan
(or it is later than today), when everything was marked, or when the rules themselves
changed since: another release with other holidays in the calendar library, other default
policies or other step rules
(``rules_fingerprint``). All of it is in the database, so a restart or a second replica
gives the same answer.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib.metadata import version

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.tasks.calendar import WorkCalendar
from services.tasks.clock import BEIJING
from services.tasks.lifecycle.models import ACTIVE, Milestone, MilestoneStatus, Task
from services.tasks.reminders import steps as step_rules
from services.tasks.reminders.inputs import EVERYTHING
from services.tasks.reminders.models import ScanMark, ScanState
from services.tasks.reminders.policy import DEFAULT, PolicyBook
from services.tasks.reminders.steps import Step, milestone_steps, round_step, settled_after

STATE = "deadline-scan"  # its row in scan_state
MANY_MARKS = 5000  # more marked tasks than this: looking at everything is as quick


@cache
def rules_fingerprint() -> str:
    """What the steps of a date depend on besides the database: the calendar library's
    holidays, the default policy and the step rules themselves."""
    parts = (version("chinesecalendar"), repr(DEFAULT), inspect.getsource(step_rules))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class RoundDue:
    """A reporting round with a step today."""

    id: int
    government_id: str
    period: str
    due_date: date
    step: Step


@dataclass(frozen=True)
class Scope:
    """Everything; or every step of the milestones of marked tasks, and the steps that are
    new today (``fresh``) of the milestones due on a (policy book, date) whose steps moved
    since the last scan; the late units of every task in the rounds, or of the marked ones
    only when no round's step moved."""

    everything: bool
    marked: frozenset[str]
    fresh: Mapping[tuple[str, date], frozenset[Step]]
    every_round: bool

    @property
    def moved_dues(self) -> list[date]:
        return sorted({due for _, due in self.fresh})

    def sees_all(self, task_id: str) -> bool:
        """Whether every step of the task's milestones is asked about, not only new ones."""
        return self.everything or task_id in self.marked

    def fresh_steps(self, book: str, due: date, today: list[Step]) -> list[Step]:
        """Of the steps that apply today to a date, those new since the last scan."""
        fresh = self.fresh.get((book, due), frozenset())
        return [step for step in today if step in fresh]


def horizon_of(today: date, calendar: WorkCalendar, policies: PolicyBook) -> date:
    """The last due date a reminder can be about today (the furthest before-due step)."""
    return calendar.add_workdays(today, policies.longest_before_due)


def due_dates(session: Session, horizon: date) -> list[date]:
    """Every date from the first open milestone's due date to the horizon."""
    first = session.scalar(
        select(func.min(Milestone.due_date)).where(
            Milestone.status == MilestoneStatus.OPEN, Milestone.due_date <= horizon
        )
    )
    if first is None:
        return []
    return [first + timedelta(n) for n in range((horizon - first).days + 1)]


def recent_tasks(session: Session, today: date, policies: PolicyBook) -> frozenset[str]:
    """Tasks registered lately: their arrival may still change their steps (``steps``: no
    flood from a late notice), which the steps of a date alone do not show, so they are
    looked at whole until it no longer can (working days counted generously as calendar
    days: twice as many, and a month for the long holidays)."""
    days = 2 * settled_after(policies.all) + 30
    since = datetime.combine(today - timedelta(days), time(), BEIJING)
    query = select(Task.id).where(Task.created_at >= since, Task.status.in_(ACTIVE))
    return frozenset(session.scalars(query))


def take_scope(
    session: Session,
    today: date,
    calendar: WorkCalendar,
    policies: PolicyBook,
    rounds: list[RoundDue],
    full: bool = False,
) -> Scope:
    """Take the marks (in the caller's transaction: a mark committed later waits for the
    next scan), remember today and the rules, and say what this scan must look at."""
    marked = frozenset(session.scalars(delete(ScanMark).returning(ScanMark.task_id)))
    marked |= recent_tasks(session, today, policies)
    state = session.get(ScanState, STATE)
    last, fingerprint = (state.day, state.fingerprint) if state else (None, "")
    session.merge(ScanState(name=STATE, day=today, fingerprint=rules_fingerprint()))
    if (
        full
        or last is None
        or last > today
        or EVERYTHING in marked
        or len(marked) > MANY_MARKS
        or fingerprint != rules_fingerprint()
    ):
        return Scope(True, marked, {}, True)
    horizon = horizon_of(today, calendar, policies)
    fresh = {}
    for due in due_dates(session, horizon):
        for book, policy in policies.books:
            new = set(milestone_steps(due, today, calendar, policy))
            new -= set(milestone_steps(due, last, calendar, policy))
            if new:
                fresh[(book, due)] = frozenset(new)
    every_round = any(
        r.step != round_step(r.due_date, last, calendar, policies.for_(r.government_id))
        for r in rounds
    )
    return Scope(False, marked, fresh, every_round)
