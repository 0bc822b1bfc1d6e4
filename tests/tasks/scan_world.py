"""A small world for the deadline scan's tests, and the mutations the scan's declared inputs
call for. Two governments (one with a policy of its own), a document each with two reporting
rounds, tasks with deadlines around the 2022 National Day holiday, units and leaders, a few
reports.

``MUTATIONS`` holds one change per input of the scan: for every table the scan reads, an
insert and a delete, and an update of every column it reads (or, for a table any change of
which matters to it, of the table itself). ``expected_mutations`` derives that list from the
declaration (``reminders.inputs.SCAN_INPUTS``) and from the columns the scan's queries read,
so a new input without a mutation, or a column read but not declared, fails a test.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Column, Select, delete, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors

from services.tasks.audit import AuditEntry
from services.tasks.calendar.models import HolidayOverride, HolidayYear
from services.tasks.lifecycle.models import Assignment, Milestone, Task
from services.tasks.progress.models import ProgressReport
from services.tasks.registration.models import Document, ReportingRound
from services.tasks.registration.service import define_tasks, register_document
from services.tasks.reminders import facts
from services.tasks.reminders.inputs import NOT_INPUTS, SCAN_INPUTS
from services.tasks.reminders.models import (
    ReminderPolicyRow,
    ReminderRequest,
    ScanMark,
    ScanState,
)
from services.tasks.reminders.policy import set_policy
from services.tasks.reminders.scope import Scope
from services.tasks.reminders.steps import ReminderPolicy
from services.tasks.supervision.models import Urge
from shared.contracts.intake import Deadline, DocumentPublishedV1, TaskDefinedV1
from shared.messaging.tables import OUTBOX

FIRST_DAY = date(2022, 9, 19)
GOVERNMENTS = {"doc-a": "default", "doc-b": "gov-b"}
UNITS = ("县住建局", "县财政局", "县发改委", "县教体局", "县环保局", "县卫健委")
LEADERS = ("王明", "李红", "赵强", "钱进")
STATUSES = ("assigned", "acknowledged", "in_progress", "completion_requested", "suspended")
ROLES = ("lead", "responsible", "cooperating")
OWN_POLICY = ReminderPolicy(before_due=(4, 2), overdue_every=2, escalate_to_leader_after=3)


def some_day(rng: random.Random) -> date:
    return date(2022, 9, 1) + timedelta(rng.randrange(90))


def seed(session: Session) -> None:
    """The world, registered as intake's events would register it."""
    for document_id, government_id in GOVERNMENTS.items():
        register_document(
            session,
            DocumentPublishedV1(
                document_id=document_id,
                government_id=government_id,
                title="2022年重点工作任务分解",
                year=2022,
                task_count=3,
                reporting_dates=[date(2022, 9, 30), date(2022, 10, 31)],
            ),
        )
    session.flush()
    dues = [date(2022, 10, 10), date(2022, 10, 14), date(2022, 9, 23), date(2022, 11, 2)]
    for n in range(6):
        document_id = "doc-a" if n < 4 else "doc-b"
        define_tasks(
            session,
            [
                TaskDefinedV1(
                    task_id=f"t{n}",
                    document_id=document_id,
                    government_id=GOVERNMENTS[document_id],
                    number=str(n + 1),
                    text=f"第{n + 1}项：按期完成“重点工作”。",
                    year=2022,
                    leaders=list(LEADERS[n % 3 : n % 3 + 1 + n % 2]),
                    lead_units=[UNITS[n]],
                    responsible_units=[UNITS[(n + 1) % 6]] if n % 2 else [],
                    cooperating_units=[UNITS[(n + 2) % 6]],
                    deadlines=[
                        Deadline(phrase=f"{d.month}月{d.day}日前", date=d)
                        for d in (dues[n % 4], dues[(n + 1) % 4])
                    ],
                )
            ],
        )
    set_policy(session, "gov-b", OWN_POLICY, "督查室")
    first_round = session.scalars(
        select(ReportingRound.id).where(ReportingRound.document_id == "doc-a")
    ).first()
    session.add(report("t0", UNITS[0], first_round))
    # a row in every table the scan reads, so that each change has something to change
    session.add(HolidayYear(year=2023, source="csv", imported_by="测试", imported_at=_now()))
    session.add(HolidayOverride(day=date(2023, 1, 2), kind="holiday"))
    session.add(
        ReminderRequest(
            dedup_key="asked-before-the-tests",
            government_id="default",
            task_id="t0",
            kind="before_due",
            step="-5",
            due_date=date(2022, 1, 1),
            recipients=[],
            requested_at=_now(),
        )
    )


def report(task_id: str, unit: str, round_id: int | None) -> ProgressReport:
    return ProgressReport(
        id=str(uuid.uuid4()),
        task_id=task_id,
        unit=unit,
        round_id=round_id,
        submitted_by=unit,
        submitted_at=datetime(2022, 9, 28, tzinfo=UTC),
    )


def reset(session: Session) -> None:
    """Back to an empty database (the marks and the scan's state included)."""
    for model in (
        ProgressReport,
        Assignment,
        Milestone,
        Task,
        ReportingRound,
        ReminderRequest,
        ReminderPolicyRow,
        HolidayOverride,
        HolidayYear,
    ):
        session.execute(delete(model))
    for table in (Urge.__table__, AuditEntry.__table__, Document.__table__, OUTBOX):
        session.execute(delete(table))
    session.execute(delete(ScanMark))
    session.execute(delete(ScanState))


# -- mutations ------------------------------------------------------------------------------

Mutation = Callable[[Session, random.Random], None]


def _one(session: Session, model: Any, rng: random.Random) -> Any:
    rows = session.scalars(select(model)).all()
    return rng.choice(rows) if rows else None


def _task_id(session: Session, rng: random.Random) -> str | None:
    return rng.choice(session.scalars(select(Task.id)).all() or [None])


def _round_id(session: Session, rng: random.Random) -> int | None:
    return rng.choice(session.scalars(select(ReportingRound.id)).all() or [None])


def _set(model: Any, column: str, value: Callable[[Session, random.Random], Any]) -> Mutation:
    def mutate(session: Session, rng: random.Random) -> None:
        row = _one(session, model, rng)
        if row is not None:
            new = value(session, rng)
            if new is not None:
                setattr(row, column, new)

    return mutate


def _delete(model: Any) -> Mutation:
    def mutate(session: Session, rng: random.Random) -> None:
        row = _one(session, model, rng)
        if row is not None:
            session.delete(row)

    return mutate


def _add_milestone(session: Session, rng: random.Random) -> None:
    task_id = _task_id(session, rng)
    if task_id:
        due = some_day(rng)
        session.add(Milestone(task_id=task_id, phrase=f"{due.month}月{due.day}日前", due_date=due))


def _add_assignment(session: Session, rng: random.Random) -> None:
    task_id = _task_id(session, rng)
    if task_id:
        taken = set(session.scalars(select(Assignment.unit).where(Assignment.task_id == task_id)))
        free = [u for u in UNITS if u not in taken]
        if free:
            session.add(
                Assignment(
                    task_id=task_id,
                    unit=rng.choice(free),
                    role=rng.choice(ROLES),
                    updated_at=datetime.now(UTC),
                )
            )


def _add_task(session: Session, rng: random.Random) -> None:
    n = rng.randrange(100, 10_000)
    document_id = rng.choice(list(GOVERNMENTS))
    due = some_day(rng)
    define_tasks(
        session,
        [
            TaskDefinedV1(
                task_id=f"t{n}",
                document_id=document_id,
                government_id=GOVERNMENTS[document_id],
                number=str(n),
                text="新增任务。",
                year=2022,
                leaders=[rng.choice(LEADERS)],
                lead_units=[rng.choice(UNITS)],
                deadlines=[Deadline(phrase="新节点", date=due)],
            )
        ],
    )


def _add_report(session: Session, rng: random.Random) -> None:
    assignment = _one(session, Assignment, rng)
    if assignment is not None:
        session.add(report(assignment.task_id, assignment.unit, _round_id(session, rng)))


def _add_round(session: Session, rng: random.Random) -> None:
    document_id = rng.choice(list(GOVERNMENTS))
    due = some_day(rng)
    known = select(ReportingRound.id).where(
        ReportingRound.document_id == document_id, ReportingRound.due_date == due
    )
    if session.scalar(known) is None:
        session.add(
            ReportingRound(
                government_id=GOVERNMENTS[document_id],
                document_id=document_id,
                period=f"2022-{due.month:02d}",
                due_date=due,
            )
        )


def _put_policy(session: Session, rng: random.Random) -> None:
    policy = ReminderPolicy(
        before_due=tuple(sorted(rng.sample(range(1, 7), rng.randint(0, 3)), reverse=True)),
        overdue_every=rng.randint(1, 4),
        report_before=rng.randint(0, 4),
        escalate_to_leader_after=rng.randint(1, 6),
        circular_after=rng.randint(6, 12),
    )
    set_policy(session, rng.choice(["default", "gov-b", "gov-c"]), policy, "督查室")


def _add_holiday(session: Session, rng: random.Random) -> None:
    day = some_day(rng)
    if session.get(HolidayOverride, day) is None:
        session.add(HolidayOverride(day=day, kind=rng.choice(["holiday", "workday"])))


def _add_year(session: Session, rng: random.Random) -> None:
    year = rng.choice([2021, 2024, 2025])
    if session.get(HolidayYear, year) is None:
        session.add(HolidayYear(year=year, source="csv", imported_by="测试", imported_at=_now()))


def _now() -> datetime:
    return datetime.now(UTC)


def _unit(session: Session, rng: random.Random) -> str:
    return rng.choice(UNITS)


def _rename_assignment(session: Session, rng: random.Random) -> None:
    assignment = _one(session, Assignment, rng)
    if assignment is not None:
        taken = select(Assignment.unit).where(Assignment.task_id == assignment.task_id)
        free = [u for u in UNITS if u not in set(session.scalars(taken))]
        if free:
            assignment.unit = rng.choice(free)


def _move_assignment(session: Session, rng: random.Random) -> None:
    assignment, task_id = _one(session, Assignment, rng), _task_id(session, rng)
    if assignment is not None and task_id is not None:
        taken = select(Assignment.id).where(
            Assignment.task_id == task_id, Assignment.unit == assignment.unit
        )
        if session.scalar(taken) is None:
            assignment.task_id = task_id


MUTATIONS: dict[tuple[str, str], Mutation] = {
    ("milestone", "insert"): _add_milestone,
    ("milestone", "delete"): _delete(Milestone),
    ("milestone", "due_date"): _set(Milestone, "due_date", lambda s, r: some_day(r)),
    ("milestone", "status"): _set(Milestone, "status", lambda s, r: r.choice(["open", "done"])),
    ("milestone", "phrase"): _set(Milestone, "phrase", lambda s, r: f"改写的节点{r.randrange(9)}"),
    ("milestone", "task_id"): _set(Milestone, "task_id", _task_id),
    ("assignment", "insert"): _add_assignment,
    ("assignment", "delete"): _delete(Assignment),
    ("assignment", "unit"): _rename_assignment,
    ("assignment", "task_id"): _move_assignment,
    ("assignment", "role"): _set(Assignment, "role", lambda s, r: r.choice(ROLES)),
    ("assignment", "status"): _set(
        Assignment, "status", lambda s, r: r.choice(["assigned", "acknowledged", "returned"])
    ),
    ("task", "insert"): _add_task,
    ("task", "delete"): _delete(Task),
    ("task", "status"): _set(Task, "status", lambda s, r: r.choice(STATUSES)),
    ("task", "exempt_reminders"): _set(Task, "exempt_reminders", lambda s, r: r.random() < 0.5),
    ("task", "leaders"): _set(Task, "leaders", lambda s, r: r.sample(LEADERS, r.randint(0, 2))),
    ("task", "government_id"): _set(
        Task, "government_id", lambda s, r: r.choice(["default", "gov-b", "gov-c"])
    ),
    ("task", "document_id"): _set(Task, "document_id", lambda s, r: r.choice(list(GOVERNMENTS))),
    ("progress_report", "insert"): _add_report,
    ("progress_report", "delete"): _delete(ProgressReport),
    ("progress_report", "task_id"): _set(ProgressReport, "task_id", _task_id),
    ("progress_report", "unit"): _set(ProgressReport, "unit", _unit),
    ("progress_report", "round_id"): _set(ProgressReport, "round_id", _round_id),
    ("reminder_policy", "insert"): _put_policy,
    ("reminder_policy", "update"): _put_policy,
    ("reminder_policy", "delete"): _delete(ReminderPolicyRow),
    ("holiday_override", "insert"): _add_holiday,
    ("holiday_override", "update"): _set(
        HolidayOverride, "kind", lambda s, r: r.choice(["holiday", "workday"])
    ),
    ("holiday_override", "delete"): _delete(HolidayOverride),
    ("holiday_year", "insert"): _add_year,
    ("holiday_year", "update"): _set(HolidayYear, "source", lambda s, r: "notice"),
    ("holiday_year", "delete"): _delete(HolidayYear),
    ("reporting_round", "insert"): _add_round,
    ("reporting_round", "update"): _set(ReportingRound, "due_date", lambda s, r: some_day(r)),
    ("reporting_round", "delete"): _delete(ReportingRound),
    ("reminder_request", "delete"): _delete(ReminderRequest),
}


# -- what the scan reads -------------------------------------------------------------------


def _columns(query: Select[Any]) -> set[tuple[str, str]]:
    found = set()
    for element in visitors.iterate(query):
        if isinstance(element, Column) and getattr(element, "table", None) is not None:
            table = getattr(element.table, "name", None)
            if table:
                found.add((table, element.name))
    return found


def scan_reads() -> set[tuple[str, str]]:
    """Every (table, column) of the database the scan's queries read."""
    everything = Scope(True, frozenset(), frozenset(), True)
    marked = Scope(False, frozenset({"t"}), frozenset({("*", date(2022, 1, 1))}), False)
    found: set[tuple[str, str]] = set()
    for scope in (everything, marked):
        milestones = facts.milestone_query(date(2022, 1, 1), scope)
        found |= _columns(milestones)
        found |= _columns(facts.late_units_query([1], scope))
    found |= _columns(facts.rounds_query(date(2022, 1, 1), date(2022, 1, 1)))
    for model in (ReminderPolicyRow, HolidayOverride, HolidayYear):  # read whole
        found |= {(model.__tablename__, c.name) for c in model.__table__.columns}
    found.add(("reminder_request", "dedup_key"))  # a key is asked only if new
    return found


def expected_mutations() -> set[tuple[str, str]]:
    """The changes the declaration says matter: for a table marked per task, an insert, a
    delete and an update of each column it lists (or, listing none, of each the scan reads);
    for a table whose change marks everything, each kind of change it fires on."""
    reads = scan_reads()
    expected: set[tuple[str, str]] = set()
    for mark in SCAN_INPUTS:
        if mark.deletes_only:
            expected.add((mark.table, "delete"))
            continue
        expected |= {(mark.table, "insert"), (mark.table, "delete")}
        if mark.task_column is None:
            expected.add((mark.table, "update"))
            continue
        columns = mark.columns or {c for t, c in reads if t == mark.table}
        expected |= {(mark.table, c) for c in columns if (mark.table, c) not in NOT_INPUTS}
    return expected
