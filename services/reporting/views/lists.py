"""The lists a bureau works from, built from a ``Snapshot``: tasks by 序时进度 bucket, the
overdue list, the missing-reports list, groupings by leader, section and round, indicators,
one task's units and timeline, and one unit's shares."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.reporting import rules
from services.reporting.models import TimelineEntry, UnitRound
from services.reporting.views.snapshot import Snapshot, TaskFacts


class TaskLine(BaseModel):
    task_id: str
    government_id: str
    document_id: str
    number: str
    text: str
    section: str
    leaders: list[str]
    lead_units: list[str]
    status: str
    status_label: str
    signal: str = Field(description="red / yellow / green; done: 已办结")
    signal_reason: str
    percent: int = Field(description="任务进度（任务服务的口径）")
    expected: int = Field(description="序时进度")
    bucket: str
    overdue: bool
    workdays_overdue: int
    missing_units: list[str]


def line(t: TaskFacts) -> TaskLine:
    v = t.view
    return TaskLine(
        task_id=v.task_id,
        government_id=v.government_id,
        document_id=v.document_id,
        number=v.number,
        text=v.text,
        section=v.section,
        leaders=v.leaders,
        lead_units=v.lead_units,
        status=v.status,
        status_label=rules.STATUS_LABELS.get(v.status, v.status),
        signal=t.colour,
        signal_reason=v.signal_reason,
        percent=v.percent,
        expected=t.expected,
        bucket=t.bucket.value,
        overdue=t.overdue,
        workdays_overdue=t.workdays_overdue,
        missing_units=t.missing_units,
    )


class Group(BaseModel):
    name: str
    task_count: int
    completed: int
    overdue: int
    red: int
    yellow: int
    missing_reports: int
    by_schedule: dict[str, int]
    tasks: list[TaskLine]


def group(name: str, tasks: list[TaskFacts]) -> Group:
    by_schedule = {b.value: 0 for b in rules.Bucket}
    for t in tasks:
        by_schedule[t.bucket.value] += 1
    return Group(
        name=name,
        task_count=len(tasks),
        completed=sum(t.view.status == rules.DONE for t in tasks),
        overdue=sum(t.overdue for t in tasks),
        red=sum(t.colour == "red" for t in tasks),
        yellow=sum(t.colour == "yellow" for t in tasks),
        missing_reports=sum(len(t.missing_units) for t in tasks),
        by_schedule=by_schedule,
        tasks=[line(t) for t in tasks],
    )


def buckets(snap: Snapshot) -> list[Group]:
    return [group(b.value, [t for t in snap.tasks if t.bucket == b]) for b in rules.Bucket]


def by_leader(snap: Snapshot) -> list[Group]:
    names = sorted({n for t in snap.tasks for n in t.view.leaders})
    groups = [group(n, [t for t in snap.tasks if n in t.view.leaders]) for n in names]
    unled = [t for t in snap.tasks if not t.view.leaders]
    return groups + ([group("（未明确责任领导）", unled)] if unled else [])


def by_section(snap: Snapshot) -> list[Group]:
    order: dict[str, list[TaskFacts]] = {}
    for t in snap.tasks:
        order.setdefault(t.view.section or "（未分部分）", []).append(t)
    return [group(name, tasks) for name, tasks in order.items()]


class OverdueLine(BaseModel):
    task: TaskLine
    units: list[str] = Field(description="牵头、责任单位")
    due_date: date | None
    phrase: str
    workdays_overdue: int


def overdue(snap: Snapshot) -> list[OverdueLine]:
    rows = []
    for t in snap.tasks:
        if not t.overdue:
            continue
        due = t.overdue_since
        phrase = next(
            (m["phrase"] for m in t.view.milestones if due and m["due"] == due.isoformat()), ""
        )
        units = [s.unit for s in t.shares if s.counts]
        rows.append(
            OverdueLine(
                task=line(t),
                units=units,
                due_date=due,
                phrase=phrase,
                workdays_overdue=t.workdays_overdue,
            )
        )
    return sorted(rows, key=lambda r: -r.workdays_overdue)


class MissingLine(BaseModel):
    unit: str
    period: str
    due_date: date
    tasks: list[TaskLine]


def missing(snap: Snapshot) -> list[MissingLine]:
    """Per unit, the tasks it has not reported on for the round (per task: ``missing_units``)."""
    by_unit: dict[tuple[str, str], list[TaskFacts]] = {}
    for t in snap.tasks:
        for unit in t.missing_units:
            by_unit.setdefault((unit, t.round_period or ""), []).append(t)
    rows = []
    for (unit, period), tasks in sorted(by_unit.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        due = tasks[0].round_due or snap.as_of
        rows.append(
            MissingLine(unit=unit, period=period, due_date=due, tasks=[line(t) for t in tasks])
        )
    return rows


class RoundFigures(BaseModel):
    document_id: str
    period: str
    label: str
    due_date: date
    owed: int = Field(description="应报（任务、单位）数")
    reported: int
    missing: int
    missing_units: list[str]


def by_round(session: Session, snap: Snapshot) -> list[RoundFigures]:
    ids = [t.view.task_id for t in snap.tasks]
    marks: set[tuple[str, str, str]] = set()
    for i in range(0, len(ids), 500):
        marks |= set(
            tuple(row)
            for row in session.execute(
                select(UnitRound.task_id, UnitRound.unit, UnitRound.period).where(
                    UnitRound.task_id.in_(ids[i : i + 500])
                )
            )
        )
    out = []
    for doc, rounds in snap.rounds.items():
        tasks = [t for t in snap.tasks if t.view.document_id == doc]
        for r in rounds:
            owed = [
                (t.view.task_id, s.unit)
                for t in tasks
                if t.view.start_day <= r.due_day
                and (t.view.status in rules.ACTIVE or (t.view.completed_day or 0) > r.due_day)
                for s in t.shares
                if s.counts
            ]
            got = [o for o in owed if (*o, r.period) in marks]
            lacking = sorted({u for tid, u in owed if (tid, u, r.period) not in marks})
            out.append(
                RoundFigures(
                    document_id=doc,
                    period=r.period,
                    label=rules.period_label(r.period),
                    due_date=r.due_date,
                    owed=len(owed),
                    reported=len(got),
                    missing=len(owed) - len(got),
                    missing_units=lacking if r.due_date < snap.as_of else [],
                )
            )
    return out


class IndicatorLine(BaseModel):
    task_id: str
    number: str
    indicator: int
    phrase: str
    subject: str
    comparator: str
    target: float
    measure: str
    actual: float | None
    actual_unit: str | None
    actual_at: datetime | None
    percent_of_target: float | None = Field(description="实际值÷目标值，百分比")


def indicators(snap: Snapshot) -> list[IndicatorLine]:
    rows = []
    for t in snap.tasks:
        for i in snap.indicators.get(t.view.task_id, []):
            share = (
                round(100 * i.actual / i.target, 1) if i.actual is not None and i.target else None
            )
            rows.append(
                IndicatorLine(
                    task_id=t.view.task_id,
                    number=t.view.number,
                    indicator=i.number,
                    phrase=i.phrase,
                    subject=i.subject,
                    comparator=i.comparator,
                    target=i.target,
                    measure=i.measure,
                    actual=i.actual,
                    actual_unit=i.actual_unit,
                    actual_at=i.actual_at,
                    percent_of_target=share,
                )
            )
    return rows


class UnitShare(BaseModel):
    unit: str
    role: str
    role_label: str
    status: str
    percent: int | None
    words: str
    problems: str
    last_report_at: datetime | None
    reports: int
    counted: bool = Field(description="计入任务进度（牵头、责任单位）")
    missing: bool = Field(description="本轮漏报")


class TimelineLine(BaseModel):
    at: datetime
    kind: str
    title: str
    detail: str
    unit: str | None


class TaskDetail(BaseModel):
    task: TaskLine
    deadlines: list[dict]
    milestones: list[dict]
    units: list[UnitShare]
    percent_rule: str
    indicators: list[IndicatorLine]
    timeline: list[TimelineLine]


def shares(t: TaskFacts) -> list[UnitShare]:
    return [
        UnitShare(
            unit=s.unit,
            role=s.role,
            role_label=rules.ROLE_LABELS.get(s.role, s.role),
            status=s.status,
            percent=s.percent,
            words=s.words,
            problems=s.problems,
            last_report_at=s.last_report_at,
            reports=s.reports,
            counted=s.counts,
            missing=s.unit in t.missing_units,
        )
        for s in t.shares
    ]


def detail(session: Session, snap: Snapshot, t: TaskFacts) -> TaskDetail:
    entries = session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.task_id == t.view.task_id)
        .order_by(TimelineEntry.at, TimelineEntry.id)
    )
    one = Snapshot(snap.as_of, snap.scope, [t], snap.documents, snap.rounds, snap.indicators)
    return TaskDetail(
        task=line(t),
        deadlines=t.deadlines,
        milestones=t.view.milestones,
        units=shares(t),
        percent_rule=rules.RULES_TEXT["task_percent"],
        indicators=indicators(one),
        timeline=[
            TimelineLine(at=e.at, kind=e.kind, title=e.title, detail=e.detail, unit=e.unit)
            for e in entries
        ],
    )


class UnitDetail(BaseModel):
    unit: str
    tasks: list[TaskLine]
    shares: list[UnitShare]


def unit_detail(snap: Snapshot, unit: str) -> UnitDetail:
    mine = snap.mine(unit)
    return UnitDetail(
        unit=unit,
        tasks=[line(t) for t in mine],
        shares=[s for t in mine for s in shares(t) if s.unit == unit],
    )
