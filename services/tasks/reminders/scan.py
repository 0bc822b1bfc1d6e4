"""The deadline scan: which reminders are due today, asked of notify exactly once each.

One path on every database. The scope (``scope``) says what may have something new; the
facts (``facts``) are read for it; the steps that apply today depend only on a policy and a
due date, so they are computed once per pair (``steps``); every request gets a dedup key
(what, whom, which due date, which step) and is inserted only if the key is new, so a
restart, a replay or a second replica cannot ask twice; only the requests really inserted go
out as events, with the urges of the escalations, in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.calendar import WorkCalendar
from services.tasks.clock import beijing_date
from services.tasks.events import add_events
from services.tasks.recorders import recorder_for
from services.tasks.reminders import facts
from services.tasks.reminders.models import ReminderRequest
from services.tasks.reminders.policy import PolicyBook, load_policies
from services.tasks.reminders.scope import RoundDue, Scope, horizon_of, take_scope
from services.tasks.reminders.steps import (
    ReminderKind,
    Step,
    countdown,
    milestone_steps,
    round_step,
)
from services.tasks.supervision.models import Urge, UrgeKind
from shared.contracts import Event, limits
from shared.contracts.tasks import DayCount, ReminderRequestedV1, TaskUrgedV1

SCHEDULER = "系统（到期提醒）"
REPORT_WINDOW = timedelta(days=62)  # how long after its due date a round's laggards are chased
TO_LEADERS = (ReminderKind.ESCALATION,)
URGES = {ReminderKind.ESCALATION: UrgeKind.ESCALATION, ReminderKind.CIRCULAR: UrgeKind.CIRCULAR}


@dataclass(slots=True, eq=False)
class Request:
    """A reminder the scan would ask: one step of one deadline (or round) of one task."""

    step: Step
    task_id: str
    government_id: str
    due: date
    subject: str
    units: list[str]
    leaders: list[str]
    number: str
    text: str
    discriminator: str  # milestone or round id: two deadlines on one day stay apart
    arrived: date | None = None  # the day the task was registered (steps.py: no flood)

    @property
    def recipients(self) -> list[str]:
        """An escalation goes to the leaders in charge; everything else to the units."""
        return self.leaders if self.step.kind in TO_LEADERS else self.units

    @property
    def key(self) -> str:
        """What, whom, which due date and which step: a reminder is asked once per key. Whom
        is named by a digest when the names would make the key longer than its contract
        allows (a task of many units); a shorter key keeps the words it always had."""
        whom = ",".join(self.recipients)
        key = self.step.key(f"{self.task_id}:{self.discriminator}:{whom}", self.due)
        if len(key) <= limits.DEDUP_KEY:
            return key
        digest = hashlib.sha256(whom.encode()).hexdigest()
        return self.step.key(f"{self.task_id}:{self.discriminator}:#{digest}", self.due)


def arrival(created_at: datetime, today: date) -> date | None:
    """The day a task was registered, as the step rules take it: None when the scan is
    about an earlier day (a replay of the past sees the task as if it had been there)."""
    arrived = beijing_date(created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC))
    return arrived if arrived <= today else None


def rounds_due(
    session: Session, today: date, calendar: WorkCalendar, policies: PolicyBook
) -> list[RoundDue]:
    """Reporting rounds with a step today under their government's policy."""
    horizon = calendar.add_workdays(today, policies.longest_report_before)
    found = []
    for round_id, government_id, period, due in session.connection().execute(
        facts.rounds_query(horizon, today - REPORT_WINDOW)
    ):
        step = round_step(due, today, calendar, policies.for_(government_id))
        if step is not None:
            found.append(RoundDue(round_id, government_id, period, due, step))
    return found


def milestone_requests(
    session: Session,
    today: date,
    calendar: WorkCalendar,
    policies: PolicyBook,
    scope: Scope,
) -> list[Request]:
    query = facts.milestone_query(horizon_of(today, calendar, policies), scope)
    # The steps of a (government, due date, arrival), once: all of them, and those new today
    steps_on: dict[tuple[str, date, date | None], tuple[list[Step], list[Step]]] = {}
    requests: list[Request] = []
    last: tuple[int, list[str]] = (-1, [])
    rows = session.connection().execute(query).all()
    for row in rows:
        milestone_id, phrase, due, task_id, government_id, leaders, number, text, unit = row[:9]
        if milestone_id == last[0]:  # the same milestone, one more of its units
            last[1].append(unit)
            continue
        arrived = arrival(row.created_at, today)
        found = steps_on.get((government_id, due, arrived))
        if found is None:
            book = policies.key_of(government_id)
            policy = policies.for_(government_id)
            today_steps = milestone_steps(due, today, calendar, policy, arrived)
            found = steps_on[(government_id, due, arrived)] = (
                today_steps,
                scope.fresh_steps(book, due, today_steps),
            )
        units = [unit] if unit is not None else []
        for step in found[0] if scope.sees_all(task_id) else found[1]:
            to_leaders = step.kind in TO_LEADERS
            requests.append(
                Request(
                    step,
                    task_id,
                    government_id,
                    due,
                    phrase,
                    units,
                    json.loads(leaders) if to_leaders else [],
                    number,
                    text,
                    f"m{milestone_id}",
                    arrived,
                )
            )
        last = (milestone_id, units)
    return requests


def round_requests(
    session: Session, rounds: list[RoundDue], scope: Scope, today: date
) -> list[Request]:
    """One request per (round, task) with the units that have not reported in it yet (and
    that existed before the round closed)."""
    if not rounds:
        return []
    by_id = {r.id: r for r in rounds}
    late: dict[tuple[int, str], Request] = {}
    for row in session.connection().execute(facts.late_units_query(list(by_id), scope)):
        round_id, task_id, unit, government_id, number, text, created_at = row
        r = by_id[round_id]
        arrived = arrival(created_at, today)
        if arrived is not None and arrived > r.due_date:
            continue  # the round had closed before the task existed: nothing to chase
        request = late.get((round_id, task_id))
        if request is None:
            request = late[(round_id, task_id)] = Request(
                r.step,
                task_id,
                government_id,
                r.due_date,
                f"{r.period}进展报送",
                [],
                [],
                number,
                text,
                f"r{round_id}",
            )
        request.units.append(unit)
    return list(late.values())


def scan(
    session: Session,
    today: date,
    now: datetime,
    calendar: WorkCalendar,
    policies: PolicyBook | None = None,
    full: bool = False,
    actor: str = SCHEDULER,
) -> list[Request]:
    """One pass: ask every reminder due today that was not asked before (``full``: looking at
    everything, whatever changed). Returns the requests asked. The urges of escalations are
    the scheduler's, or the operator's who ran the scan (``actor``)."""
    with recorder_for(session).batch(session.connection()):
        policies = policies or load_policies(session)
        rounds = rounds_due(session, today, calendar, policies)
        scope = take_scope(session, today, calendar, policies, rounds, full)
        requests = milestone_requests(session, today, calendar, policies, scope)
        requests += round_requests(session, rounds, scope, today)
        return ask(session, requests, today, now.astimezone(UTC), calendar, actor)


def ask(
    session: Session,
    requests: Iterable[Request],
    today: date,
    now: datetime,
    calendar: WorkCalendar,
    actor: str = SCHEDULER,
) -> list[Request]:
    """Insert the requests whose key is new (a key listed twice is asked once) and announce
    those really inserted: a concurrent scan may have asked some meanwhile."""
    by_key: dict[str, Request] = {}
    for request in requests:
        by_key.setdefault(request.key, request)
    rows = [
        {
            "dedup_key": key,
            "government_id": r.government_id,
            "task_id": r.task_id,
            "kind": r.step.kind,
            "step": r.step.step,
            "due_date": r.due,
            "recipients": r.recipients,
            "requested_at": now,
        }
        for key, r in by_key.items()
    ]
    table = ReminderRequest.__table__
    inserted = recorder_for(session).insert_new(session.connection(), table, rows, "dedup_key")
    asked = [(key, r) for key, r in by_key.items() if key in inserted]  # in the facts' order
    if asked:
        warnings = calendar.warnings_for({today.year, *(r.due.year for _, r in asked)})
        countdowns = {r.due: countdown(r.due, today, calendar) for _, r in asked}
        _announce(session, asked, now, warnings, countdowns, actor)
    return [r for _, r in asked]


def _announce(
    session: Session,
    asked: list[tuple[str, Request]],
    now: datetime,
    warnings: list[str],
    countdowns: dict[date, dict[date, int]],
    actor: str,
) -> None:
    """The ``reminder.requested`` events (each with the warnings of the years its batch
    touches), and for escalations and circulars their urge rows, audit entries and
    ``task.urged`` events."""
    events: list[Event] = [
        ReminderRequestedV1(
            dedup_key=key,
            task_id=r.task_id,
            government_id=r.government_id,
            kind=r.step.kind,
            step=r.step.step,
            due_date=r.due,
            units=[] if r.step.kind in TO_LEADERS else r.units,
            leaders=r.leaders if r.step.kind in TO_LEADERS else [],
            subject=r.subject,
            task_number=r.number,
            task_text=r.text,
            warnings=warnings,
            workdays_left=[DayCount(date=d, workdays=n) for d, n in countdowns[r.due].items()],
        )
        for key, r in asked
    ]
    urges, entries = [], []
    for r in (r for _, r in asked if r.step.kind in URGES):
        words = "报送责任领导" if r.step.kind == ReminderKind.ESCALATION else "列入通报名单"
        message = f"“{r.subject}”已逾期{r.step.step[1:]}个工作日，{words}"
        kind = URGES[r.step.kind]
        who = "、".join(r.units)
        urges.append(
            {
                "task_id": r.task_id,
                "kind": kind,
                "unit": who,
                "message": message,
                "by": actor,
                "at": now,
            }
        )
        entries.append(
            audit.Entry(
                government_id=r.government_id,
                actor=actor,
                action=f"task.{kind}",
                entity="task",
                entity_id=r.task_id,
                after={"message": message},
            )
        )
        events.append(
            TaskUrgedV1(
                task_id=r.task_id,
                government_id=r.government_id,
                units=r.units,
                message=message,
                kind=kind,
                actor=actor,
            )
        )
    recorder_for(session).insert_many(session.connection(), Urge.__table__, urges)
    audit.record_many(session, entries)
    add_events(session, events)
