"""The deadline scan: which reminders are due today, asked exactly once each.

Candidates come from one query over indexed columns (open milestones by due date; rounds by
due date), never a loop over every task. Each request is inserted under its dedup key with
ON CONFLICT DO NOTHING: a restart, a replay or a second replica cannot ask twice, and only a
request that was really inserted goes out as an event. Exactly one replica scans at a time,
chosen by a lease row (``acquire_lease``).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.calendar import WorkCalendar
from services.tasks.lifecycle import ACTIVE
from services.tasks.models import (
    Assignment,
    Milestone,
    ProgressReport,
    ReminderRequest,
    ReportingRound,
    SchedulerLease,
    Task,
    Urge,
)
from services.tasks.reminders import (
    ReminderPolicy,
    Step,
    deadline_step,
    escalation_steps,
    round_step,
)
from shared.contracts.tasks import ReminderRequestedV1, TaskUrgedV1
from shared.messaging.outbox import add_event

INSTANCE = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
SCHEDULER = "系统（到期提醒）"
DEFAULT_POLICY = ReminderPolicy()


@dataclass
class Request:
    step: Step
    task: Task
    due: date
    subject: str
    units: list[str]
    leaders: list[str]
    discriminator: str  # milestone or round id: two deadlines on one day stay apart

    @property
    def recipients(self) -> list[str]:
        """An escalation goes to the leaders in charge; everything else to the units."""
        return self.leaders if self.step.kind == "escalation" else self.units


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def acquire_lease(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease; False while another holder's lease is still valid."""
    now = now.astimezone(UTC)  # SQLite keeps no offset: store and compare in UTC
    lease = session.get(SchedulerLease, name, with_for_update=True)
    if lease is None:
        try:
            with session.begin_nested():
                session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
        except IntegrityError:
            return False
        return True
    if lease.holder != holder and _aware(lease.expires_at) > now:
        return False
    lease.holder, lease.expires_at = holder, now + ttl
    return True


def _units_by_task(session: Session, task_ids: list[str]) -> dict[str, list[str]]:
    rows = session.execute(
        select(Assignment.task_id, Assignment.unit)
        .where(
            Assignment.task_id.in_(task_ids),
            Assignment.role.in_(("lead", "responsible")),
            Assignment.status != "returned",
        )
        .order_by(Assignment.id)
    ).all()
    out: dict[str, list[str]] = {}
    for task_id, unit in rows:
        out.setdefault(task_id, []).append(unit)
    return out


def _active(query: Select) -> Select:
    return query.where(Task.status.in_(ACTIVE), Task.exempt_reminders.is_(False))


def milestone_requests(
    session: Session, today: date, calendar: WorkCalendar, policy: ReminderPolicy
) -> list[Request]:
    horizon = calendar.add_workdays(today, max(policy.before_due, default=0))
    rows = session.execute(
        _active(
            select(Milestone, Task)
            .join(Task, Task.id == Milestone.task_id)
            .where(Milestone.status == "open", Milestone.due_date <= horizon)
        )
    ).all()
    units = _units_by_task(session, list({task.id for _, task in rows}))
    requests = []
    for milestone, task in rows:
        steps = [
            deadline_step(milestone.due_date, today, calendar, policy),
            *escalation_steps(milestone.due_date, today, calendar, policy),
        ]
        requests += [
            Request(
                step,
                task,
                milestone.due_date,
                milestone.phrase,
                units.get(task.id, []),
                task.leaders,
                f"m{milestone.id}",
            )
            for step in steps
            if step
        ]
    return requests


def round_requests(
    session: Session, today: date, calendar: WorkCalendar, policy: ReminderPolicy
) -> list[Request]:
    horizon = calendar.add_workdays(today, policy.report_before)
    rounds = session.scalars(
        select(ReportingRound).where(
            ReportingRound.due_date <= horizon,
            ReportingRound.due_date >= today - timedelta(days=62),
        )
    ).all()
    requests = []
    for round_ in rounds:
        step = round_step(round_.due_date, today, calendar, policy)
        if step is None:
            continue
        tasks = session.scalars(
            _active(select(Task).where(Task.document_id == round_.document_id))
        ).all()
        units = _units_by_task(session, [t.id for t in tasks])
        rows = session.execute(
            select(ProgressReport.task_id, ProgressReport.unit).where(
                ProgressReport.round_id == round_.id
            )
        )
        reported = {(task_id, unit) for task_id, unit in rows}
        for task in tasks:
            late = [u for u in units.get(task.id, []) if (task.id, u) not in reported]
            if late:
                requests.append(
                    Request(
                        step,
                        task,
                        round_.due_date,
                        f"{round_.period}进展报送",
                        late,
                        [],
                        f"r{round_.id}",
                    )
                )
    return requests


def _insert_once(session: Session, key: str, request: Request, now: datetime) -> bool:
    values = dict(
        dedup_key=key,
        government_id=request.task.government_id,
        task_id=request.task.id,
        kind=request.step.kind,
        step=request.step.step,
        due_date=request.due,
        recipients=request.recipients,
        requested_at=now,
    )
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ReminderRequest).values(**values).on_conflict_do_nothing()
    return session.execute(statement).rowcount == 1


def request_reminders(
    session: Session, requests: list[Request], now: datetime, warnings: list[str]
) -> int:
    sent = 0
    for request in requests:
        whom = ",".join(request.recipients)
        key = request.step.key(f"{request.task.id}:{request.discriminator}:{whom}", request.due)
        if not _insert_once(session, key, request, now):
            continue
        sent += 1
        add_event(
            session,
            ReminderRequestedV1(
                dedup_key=key,
                task_id=request.task.id,
                government_id=request.task.government_id,
                kind=request.step.kind,
                step=request.step.step,
                due_date=request.due,
                units=request.units if request.step.kind != "escalation" else [],
                leaders=request.leaders if request.step.kind == "escalation" else [],
                subject=request.subject,
                task_number=request.task.number,
                task_text=request.task.text,
                warnings=warnings,
            ),
        )
        if request.step.kind in ("escalation", "circular"):
            _record_escalation(session, request, now)
    return sent


def _record_escalation(session: Session, request: Request, now: datetime) -> None:
    task, kind = request.task, request.step.kind
    words = "报送责任领导" if kind == "escalation" else "列入通报名单"
    message = f"“{request.subject}”已逾期{request.step.step[1:]}个工作日，{words}"
    session.add(
        Urge(
            task_id=task.id,
            kind=kind,
            unit="、".join(request.units),
            message=message,
            by=SCHEDULER,
            at=now,
        )
    )
    audit.record(
        session,
        government_id=task.government_id,
        actor=SCHEDULER,
        action=f"task.{kind}",
        entity="task",
        entity_id=task.id,
        after={"message": message},
    )
    add_event(
        session,
        TaskUrgedV1(
            task_id=task.id,
            government_id=task.government_id,
            units=request.units,
            message=message,
            kind=kind,
            actor=SCHEDULER,
        ),
    )


def scan(
    session: Session,
    today: date,
    now: datetime,
    calendar: WorkCalendar,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> int:
    """One pass: ask every reminder due today that was not asked before. Returns how many."""
    now = now.astimezone(UTC)
    requests = milestone_requests(session, today, calendar, policy)
    requests += round_requests(session, today, calendar, policy)
    warnings = calendar.warnings_for({today.year, *(r.due.year for r in requests)})
    return request_reminders(session, requests, now, warnings)
