"""A scripted year for the reporting tests: the three seed notices (from their hand-made
truth files) published into three governments, then 2022 week by week: reports by the units
(not all of them, not every round), first reports putting tasks under way, tasks closed, some
late, deadlines moved, units returning tasks, urges, colours changing, messages failing.

Every event is an envelope with the time it occurred, handed to the reporting service's
subscriber in order (as the bus would), and kept in ``events`` for the recount."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from helpers import as_records

from shared.contracts import Envelope, Event
from shared.contracts.intake import Deadline, DocumentPublishedV1, Target, TaskDefinedV1
from shared.contracts.notify import NotificationFailedV1, NotificationSentV1
from shared.contracts.tasks import (
    AssignmentChangedV1,
    IndicatorActual,
    MilestoneRescheduledV1,
    ProgressReviewedV1,
    ProgressSubmittedV1,
    TaskRegisteredV1,
    TaskSignalChangedV1,
    TaskStatusChangedV1,
    TaskUrgedV1,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "truth"
SEEDS = {
    "001": (
        "001_9cff09d31b67be02",
        "default",
        [date(2022, 6, 30), date(2022, 9, 30), date(2022, 12, 31)],
    ),
    "000": ("000_5998416bdb2a9bff", "gov-yanshi", []),
    "002": (
        "002_f684e01bf2e63db0",
        "gov-luanchuan",
        [date(2021, 3, 30), date(2021, 6, 30), date(2021, 9, 30), date(2021, 12, 30)],
    ),
}
AS_OF = date(2022, 10, 10)
ANSWERABLE = ("lead", "responsible")


def at(d: date, hour: int = 10) -> datetime:
    return datetime.combine(d, time(hour), tzinfo=UTC)


class Script:
    def __init__(self, seed: int = 12) -> None:
        self.rng = random.Random(seed)
        self.events: list[Envelope] = []
        self.tasks: dict[str, dict] = {}
        self.docs: dict[str, dict] = {}

    def emit(self, event: Event, when: datetime) -> None:
        env = event.envelope(uuid.UUID(int=self.rng.getrandbits(128)))
        self.events.append(env.model_copy(update={"occurred_at": when}))

    def publish(self, seed: str) -> None:
        name, gov, dates = SEEDS[seed]
        truth = json.loads((CORPUS / f"{name}.json").read_text(encoding="utf-8"))
        doc = f"doc-{seed}"
        year = truth["year"]
        published = date(year, 2, 15)
        self.docs[doc] = {"gov": gov, "year": year, "dates": dates}
        self.emit(
            DocumentPublishedV1(
                document_id=doc,
                government_id=gov,
                doc_number=truth["doc_number"],
                title=truth["title"],
                year=year,
                task_count=len(truth["tasks"]),
                issuer=truth["issuer"],
                reporting_dates=dates,
            ),
            at(published),
        )
        for n, t in enumerate(truth["tasks"], start=1):
            task_id = f"{doc}-{n:03d}"
            deadlines = [Deadline(phrase=d["phrase"], date=d["date"]) for d in t["deadlines"]]
            targets = [Target(phrase=x[:300], value=100.0) for x in t["targets"]]
            self.emit(
                TaskDefinedV1(
                    task_id=task_id,
                    document_id=doc,
                    government_id=gov,
                    number=t["number"],
                    path=t["path"],
                    text=t["text"],
                    leaders=t["leaders"],
                    lead_units=t["lead_units"],
                    responsible_units=t["responsible_units"],
                    cooperating_units=t["cooperating_units"],
                    deadlines=deadlines,
                    targets=targets,
                    year=year,
                ),
                at(published, 9),
            )
            lead = list(dict.fromkeys(t["lead_units"]))
            resp = [u for u in dict.fromkeys(t["responsible_units"]) if u not in lead]
            coop = [u for u in dict.fromkeys(t["cooperating_units"]) if u not in lead + resp]
            units = lead + resp + coop
            dues = sorted({d.date for d in deadlines if d.date})
            self.emit(
                TaskRegisteredV1(
                    task_id=task_id,
                    document_id=doc,
                    number=t["number"],
                    text=t["text"],
                    units=units,
                    government_id=gov,
                    section=t["path"][0] if t["path"] else "",
                    leaders=t["leaders"],
                    lead_units=lead,
                    due_dates=dues,
                    responsible_units=resp,
                    cooperating_units=coop,
                ),
                at(published, 11),
            )
            self.tasks[task_id] = {
                "doc": doc,
                "gov": gov,
                "roles": {u: "lead" for u in lead}
                | {u: "responsible" for u in resp}
                | {u: "cooperating" for u in coop},
                "status": "assigned",
                "signal": "green",
                "figures": {},
                "dues": dues,
                "targets": len(targets),
                "returned": set(),
            }

    def period(self, doc: str, day: date) -> str | None:
        from services.reporting.rules import default_rounds, period_names

        info = self.docs[doc]
        dates = info["dates"] or default_rounds(info["year"])
        names = period_names(sorted(dates))
        coming = [d for d in sorted(dates) if d >= day]
        return names[coming[0]] if coming else None

    def task_percent(self, task: dict) -> int:
        counted = {
            u: task["figures"].get(u, 0)
            for u, r in task["roles"].items()
            if r in ANSWERABLE and u not in task["returned"]
        }
        counted = counted or {u: task["figures"].get(u, 0) for u in task["roles"]}
        return int(sum(counted.values()) / len(counted) + 0.5) if counted else 0

    def status(self, task_id: str, status: str, when: datetime) -> None:
        task = self.tasks[task_id]
        self.emit(
            TaskStatusChangedV1(
                task_id=task_id,
                government_id=task["gov"],
                status=status,
                previous=task["status"],
                actor="督查室",
            ),
            when,
        )
        task["status"] = status

    def week(self, day: date) -> None:
        rng = self.rng
        for task_id, task in self.tasks.items():
            year = self.docs[task["doc"]]["year"]
            if (
                day.year != year
                or day <= date(year, 2, 15)
                or task["status"] in ("completed", "withdrawn")
            ):
                continue
            gov = task["gov"]
            for unit, role in task["roles"].items():
                if unit in task["returned"] or rng.random() > (
                    0.22 if role != "cooperating" else 0.05
                ):
                    continue
                percent = min(100, task["figures"].get(unit, 0) + rng.randrange(0, 30))
                task["figures"][unit] = percent
                when = at(day, 9 + rng.randrange(8))
                if task["status"] in ("assigned", "acknowledged"):
                    self.status(task_id, "in_progress", when)
                actuals = [
                    IndicatorActual(number=i, value=float(rng.randrange(100)))
                    for i in range(1, task["targets"] + 1)
                    if rng.random() < 0.5
                ]
                report = str(uuid.UUID(int=rng.getrandbits(128)))
                self.emit(
                    ProgressSubmittedV1(
                        report_id=report,
                        task_id=task_id,
                        government_id=gov,
                        unit=unit,
                        period=self.period(task["doc"], day),
                        percent=percent,
                        task_percent=self.task_percent(task),
                        submitted_at=when,
                        done=f"{unit}完成第{percent}%的工作",
                        indicator_actuals=actuals,
                    ),
                    when,
                )
                if rng.random() < 0.3:
                    self.emit(
                        ProgressReviewedV1(
                            report_id=report,
                            task_id=task_id,
                            government_id=gov,
                            unit=unit,
                            status=rng.choice(["accepted", "returned"]),
                            comment="请补充佐证材料",
                        ),
                        when,
                    )
            r = rng.random()
            when = at(day, 17)
            if r < 0.02 and task["status"] == "in_progress":
                self.status(task_id, "completed", when)
                if task["signal"] != "green":
                    self.emit(
                        TaskSignalChangedV1(
                            task_id=task_id,
                            government_id=gov,
                            signal="green",
                            previous=task["signal"],
                            reason="任务已办结，不计红黄灯",
                        ),
                        when,
                    )
                    task["signal"] = "green"
            elif r < 0.05:
                new = rng.choice(["red", "yellow", "green"])
                if new != task["signal"]:
                    self.emit(
                        TaskSignalChangedV1(
                            task_id=task_id,
                            government_id=gov,
                            signal=new,
                            previous=task["signal"],
                            reason=f"脚本：转为{new}",
                        ),
                        when,
                    )
                    task["signal"] = new
            elif r < 0.06:
                units = [u for u, ro in task["roles"].items() if ro in ANSWERABLE]
                self.emit(
                    TaskUrgedV1(
                        task_id=task_id,
                        government_id=gov,
                        units=units,
                        message="请加快推进",
                        kind=rng.choice(["urge", "escalation"]),
                        actor="督查室",
                    ),
                    when,
                )
                self.emit(
                    NotificationFailedV1(
                        delivery_id=rng.randrange(1, 10**6),
                        government_id=gov,
                        task_id=task_id,
                        dedup_key=f"urge|{task_id}|{day}",
                        kind="urge",
                        owner_kind="unit",
                        owner=units[0] if units else "-",
                        channel="sms",
                        outcome="failed",
                        reason="短信网关无响应",
                        attempts=3,
                        failed_at=when,
                    ),
                    when,
                )
            elif r < 0.065 and task["dues"]:
                previous = task["dues"][0]
                moved = previous + timedelta(days=rng.choice([30, 60, 90]))
                task["dues"] = sorted([moved, *task["dues"][1:]])
                self.emit(
                    MilestoneRescheduledV1(
                        task_id=task_id,
                        government_id=gov,
                        milestone_id=1,
                        phrase="延期后节点",
                        due_date=moved,
                        previous=previous,
                        reason="经批准延期",
                        actor="督查室",
                    ),
                    when,
                )
            elif r < 0.07:
                answerable = [
                    u
                    for u, ro in task["roles"].items()
                    if ro in ANSWERABLE and u not in task["returned"]
                ]
                if len(answerable) > 1:
                    unit = answerable[-1]
                    task["returned"].add(unit)
                    self.emit(
                        AssignmentChangedV1(
                            task_id=task_id,
                            government_id=gov,
                            unit=unit,
                            role=task["roles"][unit],
                            status="returned",
                            note="不属于本单位职责",
                            actor=unit,
                        ),
                        when,
                    )
            elif r < 0.08:
                self.emit(
                    NotificationSentV1(
                        delivery_id=rng.randrange(1, 10**6),
                        government_id=gov,
                        task_id=task_id,
                        dedup_key=f"remind|{task_id}|{day}",
                        kind="before_due",
                        owner_kind="unit",
                        owner="某单位",
                        channel="wecom_app",
                        attempts=1,
                        sent_at=when,
                    ),
                    when,
                )


def scripted_year(seed: int = 12, until: date = AS_OF) -> list[Envelope]:
    script = Script(seed)
    for s in SEEDS:
        script.publish(s)
    day = date(2021, 3, 1)
    while day <= until:
        script.week(day)
        day += timedelta(days=7)
    return script.events


def feed(subscriber, events: list[Envelope], batch: int = 200) -> None:
    for i in range(0, len(events), batch):
        subscriber(as_records(*events[i : i + batch]))
