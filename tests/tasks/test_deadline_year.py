"""Acceptance 2 of the tasks issue: a clock-driven walk through 2022. Reminders fall on the
right working days around the National Day holiday and its make-up workdays (2022-10-08 and
10-09 are Saturday and Sunday workdays); overdue and escalation come on the right days; a
restart, a second replica and downtime never produce a duplicate or a flood."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services.tasks.clock import BEIJING
from services.tasks.lifecycle.models import Milestone, Task
from services.tasks.registration.service import define_tasks, register_document
from services.tasks.reminders.jobs import LEASE_TTL, scan_deadlines_at
from services.tasks.reminders.models import ReminderRequest
from services.tasks.reminders.policy import set_policy
from services.tasks.reminders.steps import ReminderPolicy
from services.tasks.spec import SPEC
from services.tasks.supervision.models import Urge
from services.tasks.supervision.service import reschedule
from shared.contracts.intake import Deadline, DocumentPublishedV1, TaskDefinedV1
from shared.messaging.tables import OUTBOX
from shared.service import ServiceRuntime


def tick(day: date) -> datetime:
    return datetime.combine(day, time(8, 30), tzinfo=BEIJING)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


@pytest.fixture
def tasks(tasks_service: ServiceRuntime) -> ServiceRuntime:
    """The tasks service alone (on SQLite and on PostgreSQL) with one notice of 2022."""
    return with_a_notice_of_2022(tasks_service)


def with_a_notice_of_2022(runtime: ServiceRuntime) -> ServiceRuntime:
    """Task T1, due 2022-10-10, of a document with a reporting round on 09-30."""
    with runtime.sessions.begin() as session:
        register_document(
            session,
            DocumentPublishedV1(
                document_id="doc",
                title="某县2022年重点工作任务分解",
                year=2022,
                task_count=1,
                reporting_dates=[date(2022, 9, 30)],
            ),
        )
        session.flush()
        define_tasks(
            session,
            [
                TaskDefinedV1(
                    task_id="T1",
                    document_id="doc",
                    number="1",
                    text="10月10日前完成城关污水管网改造。",
                    leaders=["王明"],
                    lead_units=["县住建局"],
                    responsible_units=["县财政局"],
                    cooperating_units=["县环保局"],
                    year=2022,
                    deadlines=[Deadline(phrase="10月10日前", date=date(2022, 10, 10))],
                )
            ],
        )
    return runtime


def requests_made(runtime: ServiceRuntime) -> list[tuple[str, str, str]]:
    with runtime.sessions() as session:
        rows = session.scalars(
            select(ReminderRequest).order_by(
                ReminderRequest.requested_at, ReminderRequest.dedup_key
            )
        )
        return [
            (r.requested_at.date().isoformat() if r.requested_at else "", r.kind, r.step)
            for r in rows
        ]


def walk(runtime: ServiceRuntime, first: date, last: date) -> dict[date, int]:
    return {d: scan_deadlines_at(runtime.sessions, tick(d)) or 0 for d in days(first, last)}


EXPECTED = [
    ("2022-09-27", "report_due", "-3"),  # 3 working days before the round on 09-30
    ("2022-09-28", "before_due", "-5"),  # 09-29, 09-30, 10-08, 10-09, 10-10
    ("2022-09-30", "before_due", "-3"),
    ("2022-10-08", "report_missing", "+1"),  # the first working day after 09-30: a Saturday
    ("2022-10-09", "before_due", "-1"),  # a Sunday make-up workday
    ("2022-10-10", "due_today", "0"),
    ("2022-10-11", "overdue", "+1"),
    ("2022-10-14", "overdue", "+4"),
    ("2022-10-17", "escalation", "+5"),  # to the leader in charge
    ("2022-10-19", "overdue", "+7"),
    ("2022-10-24", "circular", "+10"),  # on the list for the 通报
    ("2022-10-24", "overdue", "+10"),
]


def per_day(made: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """One row per (day, kind, step): reminders go to each unit, keyed apart."""
    return sorted(set(made))


def test_a_year_of_ticks_reminds_on_the_right_working_days(tasks: ServiceRuntime) -> None:
    walk(tasks, date(2022, 9, 1), date(2022, 10, 26))
    assert per_day(requests_made(tasks)) == sorted(EXPECTED)
    with tasks.sessions() as session:
        kinds = [u.kind for u in session.scalars(select(Urge).order_by(Urge.id))]
        task = session.get(Task, "T1")
    assert kinds == ["escalation", "circular"]
    assert task.signal == "red" and "已逾期" in task.signal_reason


def test_units_are_reminded_and_leaders_told(tasks: ServiceRuntime) -> None:
    walk(tasks, date(2022, 10, 10), date(2022, 10, 17))
    with tasks.sessions() as session:
        rows = {(r.kind, tuple(r.recipients)) for r in session.scalars(select(ReminderRequest))}
    assert ("due_today", ("县住建局", "县财政局")) in rows, "lead and responsible, not cooperating"
    assert ("escalation", ("王明",)) in rows


def test_a_restart_mid_year_asks_nothing_twice(tasks: ServiceRuntime, tmp_path: Path) -> None:
    walk(tasks, date(2022, 9, 1), date(2022, 10, 12))
    tasks.dispose()
    restarted = ServiceRuntime(SPEC, tasks.settings, bus=None)  # type: ignore[arg-type]
    walk(restarted, date(2022, 10, 10), date(2022, 10, 26))  # replays three days, too
    assert per_day(requests_made(restarted)) == sorted(EXPECTED)
    with restarted.engine.connect() as conn:
        events = conn.execute(select(OUTBOX.c.type)).scalars().all()
    assert events.count("reminder.requested") == len(requests_made(restarted))


def test_two_replicas_scan_once(tasks: ServiceRuntime) -> None:
    other = ServiceRuntime(SPEC, tasks.settings, bus=None)  # type: ignore[arg-type]
    for day in days(date(2022, 9, 26), date(2022, 10, 26)):
        first = scan_deadlines_at(tasks.sessions, tick(day), holder="replica-a")
        second = scan_deadlines_at(
            other.sessions, tick(day) + timedelta(minutes=1), holder="replica-b"
        )
        assert second is None, "the lease keeps the second replica idle"
        assert first is not None
    assert per_day(requests_made(tasks)) == sorted(EXPECTED)
    lapsed = tick(date(2022, 10, 26)) + LEASE_TTL + timedelta(minutes=2)
    assert scan_deadlines_at(other.sessions, lapsed, holder="replica-b") == 0, (
        "after the lease lapses the other replica takes over, and finds nothing new"
    )


def test_after_downtime_it_catches_up_without_flooding(tasks: ServiceRuntime) -> None:
    walk(tasks, date(2022, 9, 1), date(2022, 10, 10))
    walk(tasks, date(2022, 10, 21), date(2022, 10, 21))  # down from 10-11 to 10-20
    late = [m for m in requests_made(tasks) if m[0] == "2022-10-21"]
    assert sorted(late) == [("2022-10-21", "escalation", "+5"), ("2022-10-21", "overdue", "+7")]


def test_an_exempt_task_is_not_reminded(tasks: ServiceRuntime) -> None:
    with tasks.sessions.begin() as session:
        session.get(Task, "T1").exempt_reminders = True
    walk(tasks, date(2022, 9, 26), date(2022, 10, 12))
    assert [
        m for m in requests_made(tasks) if m[1] != "report_due" and m[1] != "report_missing"
    ] == []


def test_an_approved_extension_moves_the_reminders(tasks: ServiceRuntime) -> None:
    walk(tasks, date(2022, 9, 1), date(2022, 10, 11))  # overdue +1 already asked
    with tasks.sessions.begin() as session:
        task = session.get(Task, "T1")
        milestone = session.scalars(select(Milestone).where(Milestone.task_id == "T1")).one()
        reschedule(
            session, task, milestone, date(2022, 10, 21), "批准延期：管网材料到货推迟", "督查室"
        )
    walk(tasks, date(2022, 10, 12), date(2022, 10, 24))
    moved = [m for m in requests_made(tasks) if m[0] >= "2022-10-12" and "report" not in m[1]]
    assert moved == [
        ("2022-10-14", "before_due", "-5"),
        ("2022-10-18", "before_due", "-3"),
        ("2022-10-20", "before_due", "-1"),
        ("2022-10-21", "due_today", "0"),
        ("2022-10-24", "overdue", "+1"),
    ]


def test_a_government_s_own_policy_decides_its_reminders(tasks: ServiceRuntime) -> None:
    own = ReminderPolicy(
        before_due=(2,),
        overdue_every=5,
        report_before=1,
        escalate_to_leader_after=2,
        circular_after=4,
    )
    with tasks.sessions.begin() as session:
        set_policy(session, "default", own, "督查室")
    walk(tasks, date(2022, 9, 26), date(2022, 10, 18))
    assert per_day(requests_made(tasks)) == sorted(
        [
            ("2022-09-29", "report_due", "-1"),
            ("2022-10-08", "before_due", "-2"),  # 2 working days before 10-10: Saturday 10-08
            ("2022-10-08", "report_missing", "+1"),
            ("2022-10-10", "due_today", "0"),
            ("2022-10-11", "overdue", "+1"),
            ("2022-10-12", "escalation", "+2"),
            ("2022-10-14", "circular", "+4"),
            ("2022-10-18", "overdue", "+6"),  # every 5 working days
        ]
    )
