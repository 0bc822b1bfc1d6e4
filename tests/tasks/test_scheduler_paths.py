"""The scheduler's set-based paths agree with the plain ones. The deadline scan's statement on
PostgreSQL (which also writes the reminder events, as JSON built in SQL) asks what the Python
path SQLite uses asks, day after day: two governments, one with its own policy, leaders and
units that change, an exempt and a suspended task, a round some units reported in. And
``refresh_all`` gives every task the signal ``refresh_signal`` would."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks.bulk import envelope_bytes
from services.tasks.holidays import load_calendar
from services.tasks.jobs import BEIJING, scan_deadlines_at
from services.tasks.models import (
    Assignment,
    AuditEntry,
    HolidayOverride,
    Milestone,
    ProgressReport,
    ReminderRequest,
    ReportingRound,
    Task,
    Urge,
)
from services.tasks.policies import set_policy
from services.tasks.registration import define_task, register_document
from services.tasks.reminders import ReminderPolicy
from services.tasks.signal_updates import _facts, compute_all
from services.tasks.signals import compute_signal
from shared.config import Settings
from shared.contracts import Envelope, decode
from shared.contracts.intake import Deadline, DocumentPublishedV1, TaskDefinedV1
from shared.contracts.tasks import ReminderRequestedV1
from shared.messaging.tables import OUTBOX
from shared.runtime import load_spec
from shared.service import ServiceRuntime

OWN_POLICY = ReminderPolicy(
    before_due=(4, 2), overdue_every=2, report_before=2, escalate_to_leader_after=3
)
# gov-c's deadlines are long past and its overdue step moves every 50 working days: in
# October nothing new is due there by the calendar, only by what changes
STILL_POLICY = ReminderPolicy(overdue_every=50, escalate_to_leader_after=3, circular_after=6)


def _task(
    task_id: str, document_id: str, government_id: str, deadlines: list[date], **units: Any
) -> TaskDefinedV1:
    return TaskDefinedV1(
        task_id=task_id,
        document_id=document_id,
        government_id=government_id,
        number=task_id[-1],
        text=f"第{task_id[-1]}项：按期完成“重点工作”，确保见效。",
        year=2022,
        deadlines=[Deadline(phrase=f"{d.month}月{d.day}日前", date=d) for d in deadlines],
        **units,
    )


def _world(runtime: ServiceRuntime) -> None:
    with runtime.sessions.begin() as session:
        for document_id, government_id in (
            ("doc-a", "default"),
            ("doc-b", "gov-b"),
            ("doc-c", "gov-c"),
        ):
            register_document(
                session,
                DocumentPublishedV1(
                    document_id=document_id,
                    government_id=government_id,
                    title="2022年重点工作任务分解",
                    year=2022,
                    task_count=3,
                    reporting_dates=[date(2022, 9, 30), date(2022, 12, 31)],
                ),
            )
        session.flush()
        for event in (
            _task(
                "a-1",
                "doc-a",
                "default",
                [date(2022, 10, 10), date(2022, 10, 20), date(2022, 9, 1)],
                leaders=["王明", "李红"],
                lead_units=["县住建局"],
                responsible_units=["县财政局", "县发改委"],
                cooperating_units=["县环保局"],
            ),
            _task(
                "a-2",
                "doc-a",
                "default",
                [date(2022, 10, 12), date(2022, 11, 9)],  # 11-03 becomes a holiday
                lead_units=["县教体局"],
            ),
            _task("a-3", "doc-a", "default", [date(2022, 10, 10)], lead_units=["县卫健委"]),
            _task("a-4", "doc-a", "default", [date(2022, 10, 10)], lead_units=["县民政局"]),
            _task(
                "b-1",
                "doc-b",
                "gov-b",
                [date(2022, 10, 14), date(2022, 11, 2)],
                leaders=["赵强"],
                lead_units=["区住建局"],
                responsible_units=["区财政局"],
            ),
            *(
                _task(
                    f"c-{n}",
                    "doc-c",
                    "gov-c",
                    [date(2022, 9, 1)],
                    leaders=["钱进"],
                    lead_units=["市住建局"],
                    responsible_units=["市财政局"],
                )
                for n in range(1, 7)
            ),
        ):
            define_task(session, event)
        session.flush()
        session.get(Task, "a-3").exempt_reminders = True
        session.get(Task, "a-4").status = "suspended"
        session.get(Task, "c-3").status = "suspended"
        session.get(Task, "c-4").exempt_reminders = True
        session.scalars(select(Milestone).where(Milestone.task_id == "c-5")).one().status = "done"
        set_policy(session, "gov-b", OWN_POLICY, "督查室")
        set_policy(session, "gov-c", STILL_POLICY, "督查室")
        round_a = session.scalars(
            select(ReportingRound).where(
                ReportingRound.document_id == "doc-a",
                ReportingRound.due_date == date(2022, 9, 30),
            )
        ).one()
        session.add(  # one of a-1's three units reported; the other two are chased
            ProgressReport(
                id=str(uuid.UUID(int=1)),
                task_id="a-1",
                unit="县财政局",
                round_id=round_a.id,
                submitted_by="县财政局",
                submitted_at=datetime(2022, 9, 29, tzinfo=UTC),
            )
        )


def _change(runtime: ServiceRuntime, day: date) -> None:
    """What happens between ticks, as seen by the scan: units and leaders change, tasks come
    back, milestones are added, moved, done and reopened, a policy and the holidays change."""
    with runtime.sessions.begin() as session:
        if day == date(2022, 10, 13):  # a unit joins a-2; one of a-1's returns its share
            session.add(
                Assignment(
                    task_id="a-2",
                    unit="县财政局",
                    role="responsible",
                    status="assigned",
                    updated_at=datetime.now(UTC),
                )
            )
            returned = session.scalars(
                select(Assignment).where(Assignment.task_id == "a-1", Assignment.unit == "县发改委")
            ).one()
            returned.status = "returned"
            session.get(Task, "a-1").leaders = ["王明", "张伟"]
        elif day == date(2022, 10, 19):  # a-4 resumes, a-3 loses its exemption
            session.get(Task, "a-4").status = "in_progress"
            session.get(Task, "a-3").exempt_reminders = False
        elif day == date(2022, 10, 20):  # one of b-1's units reports late: the other is chased
            session.add(
                ProgressReport(
                    id=str(uuid.UUID(int=4)),
                    task_id="b-1",
                    unit="区住建局",
                    round_id=session.scalars(
                        select(ReportingRound.id).where(
                            ReportingRound.document_id == "doc-b",
                            ReportingRound.due_date == date(2022, 9, 30),
                        )
                    ).one(),
                    submitted_by="区住建局",
                    submitted_at=datetime(2022, 10, 19, tzinfo=UTC),
                )
            )
        elif day == date(2022, 10, 21):  # a deadline added already late; one moved; one done
            session.add(Milestone(task_id="a-2", phrase="9月20日前", due_date=date(2022, 9, 20)))
            moved = session.scalars(select(Milestone).where(Milestone.task_id == "b-1")).first()
            moved.due_date = date(2022, 10, 28)
            done = session.scalars(select(Milestone).where(Milestone.task_id == "a-3")).one()
            done.status = "done"
        elif day == date(2022, 10, 25):  # reopened; a policy changes; a holiday is declared
            session.scalars(
                select(Milestone).where(Milestone.task_id == "a-3")
            ).one().status = "open"
            set_policy(session, "gov-b", ReminderPolicy(before_due=(3,)), "督查室")
            session.add(HolidayOverride(day=date(2022, 10, 27), kind="holiday", note="测试"))
        _change_c(session, day)


def _change_c(session: Session, day: date) -> None:
    """gov-c, where only these changes can make a reminder due (and a forgotten one)."""

    def milestone(task_id: str) -> Milestone:
        return session.scalars(select(Milestone).where(Milestone.task_id == task_id)).one()

    if day == date(2022, 10, 10):  # a unit joins c-3 (suspended: nothing yet) and c-1
        for task_id in ("c-1", "c-3"):
            session.add(
                Assignment(
                    task_id=task_id,
                    unit="市发改委",
                    role="responsible",
                    status="assigned",
                    updated_at=datetime.now(UTC),
                )
            )
    elif day == date(2022, 10, 11):  # c-2's responsible unit returns its share
        unit = select(Assignment).where(Assignment.task_id == "c-2", Assignment.unit == "市财政局")
        session.scalars(unit).one().status = "returned"
    elif day == date(2022, 10, 12):  # c-1's leader changes
        session.get(Task, "c-1").leaders = ["孙立"]
    elif day == date(2022, 10, 14):  # c-3 resumes
        session.get(Task, "c-3").status = "in_progress"
    elif day == date(2022, 10, 18):  # c-4 loses its exemption
        session.get(Task, "c-4").exempt_reminders = False
    elif day == date(2022, 10, 20):  # a late deadline is added to c-6
        session.add(Milestone(task_id="c-6", phrase="9月2日前", due_date=date(2022, 9, 2)))
    elif day == date(2022, 10, 24):  # c-3's deadline moves, still long past
        milestone("c-3").due_date = date(2022, 8, 31)
    elif day == date(2022, 10, 26):  # c-5's deadline is reopened
        milestone("c-5").status = "open"
    elif day == date(2022, 10, 27):  # a reminder asked before is forgotten: asked again
        forgotten = select(ReminderRequest).where(
            ReminderRequest.dedup_key.startswith("escalation:c-1:"),
            ReminderRequest.dedup_key.contains("孙立"),
        )
        session.delete(session.scalars(forgotten).one())
    elif day == date(2022, 10, 28):  # gov-c reminds more often now
        set_policy(session, "gov-c", ReminderPolicy(overdue_every=3), "督查室")
    elif day == date(2022, 11, 2):  # a holiday, declared late
        session.add(HolidayOverride(day=date(2022, 11, 3), kind="holiday", note="测试"))


def _walk(runtime: ServiceRuntime) -> None:
    day = date(2022, 9, 19)
    while day <= date(2022, 11, 8):
        _change(runtime, day)
        if day != date(2022, 10, 17):  # one day down: the next tick catches up
            scan_deadlines_at(runtime.sessions, datetime.combine(day, time(8, 30), BEIJING))
        day += timedelta(1)


def _made(runtime: ServiceRuntime) -> dict[str, Any]:
    """What the scan wrote, without the ids and clocks that differ from run to run."""
    with runtime.sessions() as session:
        requests = sorted(  # and the day each was asked
            (
                r.dedup_key,
                r.government_id,
                r.task_id,
                r.kind,
                r.step,
                r.due_date,
                r.recipients,
                (
                    r.requested_at.astimezone(UTC) if r.requested_at.tzinfo else r.requested_at
                ).date(),
            )
            for r in session.scalars(select(ReminderRequest))
        )
        urges = sorted(
            (u.task_id, u.kind, u.unit, u.message, u.by) for u in session.scalars(select(Urge))
        )
        audits = sorted(
            (a.action, a.entity_id, json.dumps(a.after, ensure_ascii=False))
            for a in session.scalars(
                select(AuditEntry).where(AuditEntry.action != "policy.updated")
            )
            if a.action.startswith("task.") and a.action != "task.signal"
        )
        payloads = [bytes(p) for p in session.scalars(select(OUTBOX.c.payload))]
    events = sorted(
        json.dumps([e.type, decode(e).model_dump(mode="json")], ensure_ascii=False)
        for e in map(Envelope.from_bytes, payloads)
        if e.type in (ReminderRequestedV1.TYPE, "task.urged")
    )
    return {"requests": requests, "urges": urges, "audits": audits, "events": events}


@pytest.fixture
def runtimes(tmp_path: Path, pg_url: str) -> dict[str, ServiceRuntime]:
    out = {}
    for name, url in (("sqlite", None), ("postgresql", pg_url)):
        (tmp_path / name).mkdir()
        settings = Settings(data_dir=tmp_path / name, topic_prefix="paths", database_url=url)
        out[name] = ServiceRuntime(load_spec("tasks"), settings, bus=None)  # type: ignore[arg-type]
        out[name].migrate()
        _world(out[name])
    yield out
    for runtime in out.values():
        runtime.dispose()


def test_both_paths_ask_the_same(runtimes: dict[str, ServiceRuntime]) -> None:
    for runtime in runtimes.values():
        _walk(runtime)
    sqlite, pg = (_made(runtimes[name]) for name in ("sqlite", "postgresql"))
    kinds = {request[3] for request in sqlite["requests"]}
    assert {"before_due", "due_today", "overdue", "escalation", "report_missing"} <= kinds
    assert any("县财政局" in r[6] for r in sqlite["requests"] if r[2] == "a-2"), "the new unit"
    assert any(r[2] == "a-4" for r in sqlite["requests"]), "the resumed task"
    assert any(r[5] == date(2022, 9, 20) for r in sqlite["requests"]), "the late deadline"
    changed = {(r[2], r[3]) for r in sqlite["requests"] if r[2].startswith("c-") and r[0]}
    assert {("c-3", "overdue"), ("c-4", "overdue"), ("c-5", "circular")} <= changed
    for part in ("requests", "urges", "audits", "events"):
        assert pg[part] == sqlite[part], part


def test_the_statement_writes_the_contract_s_bytes(runtimes: dict[str, ServiceRuntime]) -> None:
    """The JSON built in SQL is byte for byte what the envelope model would write."""
    pg = runtimes["postgresql"]
    _walk(pg)
    with pg.sessions() as session:
        payloads = [
            bytes(p)
            for p in session.scalars(
                select(OUTBOX.c.payload).where(OUTBOX.c.type == ReminderRequestedV1.TYPE)
            )
        ]
    assert payloads
    for payload in payloads:
        envelope = Envelope.from_bytes(payload)
        assert envelope_bytes(decode(envelope), envelope.id, envelope.occurred_at) == payload


def test_bulk_envelopes_are_the_contract_s_bytes() -> None:
    event = ReminderRequestedV1(
        dedup_key="overdue:t:m1:甲,乙:2022-10-10:+1",
        task_id="t",
        government_id="default",
        kind="overdue",
        step="+1",
        due_date=date(2022, 10, 10),
        units=["甲", "乙"],
        subject="10月10日前\n“完成”",
        task_number="1",
        task_text="第1项",
    )
    event_id, at = uuid.uuid4(), datetime(2022, 10, 11, 0, 30, 0, 5, tzinfo=UTC)
    envelope = Envelope(
        id=event_id,
        type=event.TYPE,
        version=event.VERSION,
        occurred_at=at,
        source=event.SOURCE,
        key=event.key(),
        data=event.model_dump(mode="json"),
    )
    assert envelope_bytes(event, event_id, at) == envelope.to_bytes()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_refresh_all_judges_as_refresh_signal(
    runtimes: dict[str, ServiceRuntime], dialect: str
) -> None:
    runtime = runtimes[dialect]
    with runtime.sessions.begin() as session:
        session.get(Task, "a-2").percent_done = 90
        session.get(Task, "a-4").status = "completion_requested"
        round_a = session.scalars(
            select(ReportingRound.id).where(ReportingRound.document_id == "doc-a")
        ).first()
        session.add(  # reported in the round just past, not yet in the next one: yellow
            ProgressReport(
                id=str(uuid.UUID(int=3)),
                task_id="a-2",
                unit="县教体局",
                round_id=round_a,
                submitted_by="县教体局",
                submitted_at=datetime(2022, 9, 28, tzinfo=UTC),
            )
        )
        session.add(  # a report naming another document's round counts for neither
            ProgressReport(
                id=str(uuid.UUID(int=2)),
                task_id="b-1",
                unit="区住建局",
                round_id=round_a,
                submitted_by="区住建局",
                submitted_at=datetime(2022, 9, 28, tzinfo=UTC),
            )
        )
    with runtime.sessions() as session:
        calendar = load_calendar(session)
        tasks = session.scalars(select(Task)).all()
        signals: set[str] = set()
        for day in (date(2022, 3, 1), date(2022, 9, 28), date(2022, 10, 9), date(2022, 11, 8)):
            got = {
                task.id: (signal, reason)
                for task, signal, reason in compute_all(session, day, calendar)
            }
            expected = {
                task.id: compute_signal(_facts(session, task, day), calendar)
                for task in tasks
                if task.status
                in ("assigned", "acknowledged", "in_progress", "completion_requested")
            }
            assert got == expected, day
            signals |= {signal for signal, _ in got.values()}
    assert signals == {"red", "yellow", "green"}
