"""Event handlers of the reporting service: each folds one event into the read models, and
every event handled is kept in the journal first (``journal.py``), so the views can be
dropped and rebuilt from it.

Events of one task on one topic arrive in order (same key), but intake's (task.defined,
document.published), the tasks service's and notify's travel on different topics: a task's
definition may come after its registration, a document after its tasks. Each handler
therefore only writes what its own event says, and what depends on two of them (the
deadlines' words, a task's period of work) is recomputed by whichever comes second.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.reporting import journal, rules
from services.reporting.models import (
    AssignmentView,
    Definition,
    DocumentView,
    IndicatorView,
    RoundView,
    TaskView,
    TimelineEntry,
    UnitRound,
)
from shared.contracts import Event
from shared.contracts.intake import DocumentPublishedV1, TaskDefinedV1
from shared.contracts.notify import NotificationFailedV1, NotificationSentV1
from shared.contracts.tasks import (
    AssignmentChangedV1,
    MilestoneRescheduledV1,
    ProgressReviewedV1,
    ProgressSubmittedV1,
    ReminderRequestedV1,
    TaskRegisteredV1,
    TaskSignalChangedV1,
    TaskStatusChangedV1,
    TaskUrgedV1,
)
from shared.identity import credentials
from shared.messaging.inbox import EventHandler

BEIJING = ZoneInfo("Asia/Shanghai")
TIMELINE_REMINDERS = ("overdue", "escalation", "report_missing", "circular")
URGE_TITLES = {"urge": "催办", "escalation": "提级督办", "circular": "列入通报"}
REMINDER_TITLES = {
    "overdue": "逾期提醒",
    "escalation": "提醒责任领导",
    "report_missing": "漏报提醒",
    "circular": "通报提醒",
}


def occurred(session: Session) -> datetime:
    """When the event being handled occurred (its envelope's time); now, for a caller that
    hands an event without one."""
    envelope = session.info.get("envelope")
    return envelope.occurred_at if envelope is not None else datetime.now(UTC)


def beijing(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).date()


def _line(session: Session, task_id: str, kind: str, title: str, detail: str = "", **kw: Any):
    at = kw.pop("at", None) or occurred(session)
    title = title[:200]  # a unit name is up to 200 characters; the line says the rest
    session.add(TimelineEntry(task_id=task_id, at=at, kind=kind, title=title, detail=detail, **kw))


def refresh_days(session: Session, view: TaskView) -> None:
    """The task's period of work and deadlines as day numbers (see ``rules``): recomputed
    whenever its registration, its document or a deadline changes."""
    doc = session.get(DocumentView, view.document_id)
    registered = view.registered_on or beijing(occurred(session))
    year = (doc.year if doc and doc.year else None) or view.year or registered.year
    view.year = year
    start = rules.work_started(year, doc.issued_date if doc else None, registered)
    dues = sorted(date.fromisoformat(m["due"]) for m in view.milestones or [] if m.get("due"))
    year_end = date(year, 12, 31)
    view.start_day = start.toordinal()
    view.end_day = max(year_end, dues[-1] if dues else year_end).toordinal()
    view.first_due_day = dues[0].toordinal() if dues else None
    view.deadline_day = (dues[-1] if dues else year_end).toordinal()


def refresh_reported(session: Session, task_ids: list[str], unit: str | None = None) -> None:
    """Each share's ``rounds`` (``AssignmentView``): for every round of its task's document,
    in order, whether the unit reported in it ("1") or not ("0"), as ``UnitRound`` says.
    Recomputed whenever one of the three changes: a report for a round, the document's
    rounds (published again), the task's document or shares (registered again). Only what
    events say: which round is owed on a day is the views' question."""
    session.flush()
    for i in range(0, len(task_ids), 500):
        chunk = task_ids[i : i + 500]
        rounds: dict[str, list[str]] = {}
        rows = session.execute(
            select(TaskView.task_id, RoundView.period)
            .join(RoundView, RoundView.document_id == TaskView.document_id)
            .where(TaskView.task_id.in_(chunk))
            .order_by(TaskView.task_id, RoundView.seq)
        )
        for task_id, period in rows:
            rounds.setdefault(task_id, []).append(period)
        marks = select(UnitRound.task_id, UnitRound.unit, UnitRound.period).where(
            UnitRound.task_id.in_(chunk)
        )
        shares = select(AssignmentView).where(AssignmentView.task_id.in_(chunk))
        if unit is not None:
            marks = marks.where(UnitRound.unit == unit)
            shares = shares.where(AssignmentView.unit == unit)
        reported = {(t, u, p) for t, u, p in session.execute(marks)}
        for share in session.scalars(shares):
            share.rounds = "".join(
                "1" if (share.task_id, share.unit, period) in reported else "0"
                for period in rounds.get(share.task_id, [])
            )


def _phrases(session: Session, task_id: str) -> dict[str, str]:
    definition = session.get(Definition, task_id)
    if definition is None:
        return {}
    return {d["date"]: d["phrase"] for d in definition.deadlines if d.get("date")}


def on_document_published(session: Session, event: Event) -> None:
    assert isinstance(event, DocumentPublishedV1)
    doc = session.get(DocumentView, event.document_id) or DocumentView(
        document_id=event.document_id
    )
    doc.government_id, doc.title, doc.doc_number = (
        event.government_id,
        event.title,
        event.doc_number,
    )
    doc.issuer, doc.year, doc.issued_date = event.issuer, event.year, event.issued_date
    session.merge(doc)
    dates = list(event.reporting_dates) or (rules.default_rounds(event.year) if event.year else [])
    session.execute(delete(RoundView).where(RoundView.document_id == event.document_id))
    names = rules.period_names(sorted(set(dates)))
    for seq, (due, period) in enumerate(sorted(names.items()), start=1):
        session.add(
            RoundView(
                document_id=event.document_id,
                period=period,
                due_date=due,
                due_day=due.toordinal(),
                seq=seq,
            )
        )
    session.flush()
    tasks = list(session.scalars(select(TaskView).where(TaskView.document_id == event.document_id)))
    for view in tasks:
        refresh_days(session, view)
    refresh_reported(session, [view.task_id for view in tasks])


def on_task_defined(session: Session, event: Event) -> None:
    assert isinstance(event, TaskDefinedV1)
    definition = session.get(Definition, event.task_id) or Definition(task_id=event.task_id)
    definition.path = list(event.path)
    definition.deadlines = [
        {"phrase": d.phrase, "date": d.date.isoformat() if d.date else None}
        for d in event.deadlines
    ]
    definition.revision = event.revision
    session.merge(definition)
    kept = {
        i.phrase: i
        for i in session.scalars(
            select(IndicatorView).where(IndicatorView.task_id == event.task_id)
        )
    }
    session.execute(delete(IndicatorView).where(IndicatorView.task_id == event.task_id))
    session.flush()
    for number, target in enumerate(event.targets, start=1):
        before = kept.get(target.phrase)
        session.add(
            IndicatorView(
                task_id=event.task_id,
                number=number,
                phrase=target.phrase,
                subject=target.subject,
                comparator=target.comparator,
                target=target.value,
                target_max=target.value_max,
                measure=target.unit,
                actual=before.actual if before else None,
                actual_unit=before.actual_unit if before else None,
                actual_at=before.actual_at if before else None,
            )
        )
    if view := session.get(TaskView, event.task_id):
        phrases = _phrases(session, event.task_id) | {
            d.date.isoformat(): d.phrase for d in event.deadlines if d.date
        }
        view.milestones = [
            {**m, "phrase": m["phrase"] or phrases.get(m["due"], "")} for m in view.milestones
        ]
    title = "任务下达" if event.revision == 1 else f"任务内容更正（第{event.revision}版）"
    _line(session, event.task_id, "defined", title, event.text[:500])


def on_task_registered(session: Session, event: Event) -> None:
    assert isinstance(event, TaskRegisteredV1)
    first = session.get(TaskView, event.task_id)
    view = first or TaskView(task_id=event.task_id, registered_on=beijing(occurred(session)))
    view.document_id, view.number, view.text = event.document_id, event.number, event.text
    view.units, view.status, view.government_id = event.units, event.status, event.government_id
    view.section, view.leaders, view.lead_units = event.section, event.leaders, event.lead_units
    lead, helping = set(event.lead_units), set(event.cooperating_units)
    responsible = event.responsible_units or [u for u in event.units if u not in lead | helping]
    view.responsible_units, view.cooperating_units = responsible, event.cooperating_units
    phrases = _phrases(session, event.task_id)
    view.milestones = [
        {"phrase": phrases.get(d.isoformat(), ""), "due": d.isoformat()}
        for d in sorted(event.due_dates)
    ]
    view.updated_at = occurred(session)
    if first is None:
        view.signal, view.signal_reason, view.percent = "green", "", 0
        session.add(view)
    refresh_days(session, view)
    held = {
        a.unit: a
        for a in session.scalars(
            select(AssignmentView).where(AssignmentView.task_id == event.task_id)
        )
    }
    for unit in event.units:
        role = "lead" if unit in lead else "cooperating" if unit in helping else "responsible"
        share = held.pop(unit, None)
        if share is None:
            session.add(
                AssignmentView(
                    task_id=event.task_id,
                    unit=unit,
                    government_id=event.government_id,
                    role=role,
                    status="assigned",
                    words="",
                    problems="",
                    reports=0,
                )
            )
        else:
            share.role, share.government_id = role, event.government_id
            if share.status == "removed":
                share.status = "assigned"
    for share in held.values():
        share.status = "removed"
    refresh_reported(session, [event.task_id])
    if first is None:
        _line(session, event.task_id, "registered", "任务登记交办", "、".join(event.units))


def on_status_changed(session: Session, event: Event) -> None:
    assert isinstance(event, TaskStatusChangedV1)
    if view := session.get(TaskView, event.task_id):
        at = occurred(session)
        view.status, view.updated_at = event.status, at
        done = event.status == rules.DONE
        view.completed_on = beijing(at) if done else None
        view.completed_day = view.completed_on.toordinal() if view.completed_on else None
        label = rules.STATUS_LABELS.get(event.status, event.status)
        _line(session, event.task_id, "status", f"状态：{label}", event.reason)


def _share(session: Session, task_id: str, unit: str, government_id: str) -> AssignmentView:
    """A unit's share of a task, made on the first event that names it (a report may come
    before its assignment is seen: responsible until an assignment event says otherwise)."""
    share = session.get(AssignmentView, (task_id, unit))
    if share is None:
        share = AssignmentView(
            task_id=task_id,
            unit=unit,
            government_id=government_id,
            role="responsible",
            status="assigned",
            words="",
            problems="",
            reports=0,
        )
        session.add(share)
    return share


def on_assignment_changed(session: Session, event: Event) -> None:
    assert isinstance(event, AssignmentChangedV1)
    if session.get(TaskView, event.task_id) is None:
        return
    share = _share(session, event.task_id, event.unit, event.government_id)
    share.role, share.status = event.role, event.status
    words = {"acknowledged": "签收", "returned": "退回", "removed": "撤出", "assigned": "交办"}
    _line(
        session,
        event.task_id,
        "assignment",
        f"{event.unit}{words.get(event.status, event.status)}",
        event.note,
        unit=event.unit,
    )


def on_progress_submitted(session: Session, event: Event) -> None:
    assert isinstance(event, ProgressSubmittedV1)
    view = session.get(TaskView, event.task_id)
    if view is None:
        return
    share = _share(session, event.task_id, event.unit, event.government_id)
    share.percent, share.words, share.problems = event.percent, event.done, event.problems
    share.last_report_at, share.reports = event.submitted_at, (share.reports or 0) + 1
    session.flush()
    view.percent = (
        event.task_percent if event.task_percent is not None else _mean_rule(session, event.task_id)
    )
    if view.last_report_at is None or event.submitted_at >= _aware(view.last_report_at):
        view.last_report_at = event.submitted_at
    if event.period:
        mark = session.get(UnitRound, (event.task_id, event.unit, event.period))
        if mark is None:
            session.add(
                UnitRound(
                    task_id=event.task_id,
                    unit=event.unit,
                    period=event.period,
                    reports=1,
                    first_at=event.submitted_at,
                )
            )
        else:
            mark.reports += 1
        refresh_reported(session, [event.task_id], event.unit)
    for actual in event.indicator_actuals:
        if indicator := session.get(IndicatorView, (event.task_id, actual.number)):
            indicator.actual, indicator.actual_unit = actual.value, event.unit
            indicator.actual_at = event.submitted_at
    detail = f"进度{event.percent}%" + (f"；{event.done[:300]}" if event.done else "")
    period = f"（{rules.period_label(event.period)}）" if event.period else ""
    _line(
        session,
        event.task_id,
        "report",
        f"{event.unit}报送进展{period}",
        detail,
        unit=event.unit,
        at=event.submitted_at,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _mean_rule(session: Session, task_id: str) -> int:
    """The tasks service's rule, for events of releases before ``task_percent``."""
    shares = list(session.scalars(select(AssignmentView).where(AssignmentView.task_id == task_id)))
    counted = [
        s.percent or 0 for s in shares if s.role in rules.ANSWERABLE and s.status not in rules.GONE
    ]
    counted = counted or [s.percent or 0 for s in shares]
    return int(sum(counted) / len(counted) + 0.5) if counted else 0


def on_progress_reviewed(session: Session, event: Event) -> None:
    assert isinstance(event, ProgressReviewedV1)
    verdict = "审核通过" if event.status == "accepted" else "退回修改"
    _line(
        session,
        event.task_id,
        "review",
        f"{event.unit}的进展{verdict}",
        event.comment,
        unit=event.unit,
    )


def on_urged(session: Session, event: Event) -> None:
    assert isinstance(event, TaskUrgedV1)
    title = f"{URGE_TITLES.get(event.kind, event.kind)}：" + "、".join(event.units)
    _line(
        session,
        event.task_id,
        event.kind if event.kind in URGE_TITLES else "urge",
        title[:200],
        event.message,
    )


def on_rescheduled(session: Session, event: Event) -> None:
    assert isinstance(event, MilestoneRescheduledV1)
    view = session.get(TaskView, event.task_id)
    if view is None:
        return
    previous, due = (
        event.previous.isoformat() if event.previous else None,
        event.due_date.isoformat(),
    )
    milestones = [dict(m) for m in view.milestones]
    match = [m for m in milestones if m["due"] == previous and m["phrase"] in (event.phrase, "")]
    match = match or [m for m in milestones if m["due"] == previous]
    if match:
        match[0]["due"], match[0]["phrase"] = due, event.phrase
    else:
        milestones.append({"phrase": event.phrase, "due": due})
    view.milestones = sorted(milestones, key=lambda m: m["due"])
    refresh_days(session, view)
    was = f"由{previous}" if previous else ""
    _line(
        session,
        event.task_id,
        "milestone",
        f"时间节点“{event.phrase}”{was}调整为{due}",
        event.reason,
    )


def on_reminder(session: Session, event: Event) -> None:
    assert isinstance(event, ReminderRequestedV1)
    if event.kind in TIMELINE_REMINDERS:
        whom = "、".join([*event.units, *event.leaders])
        _line(
            session,
            event.task_id,
            "reminder",
            f"{REMINDER_TITLES[event.kind]}：{whom}"[:200],
            event.subject,
        )


def on_signal_changed(session: Session, event: Event) -> None:
    assert isinstance(event, TaskSignalChangedV1)
    if view := session.get(TaskView, event.task_id):
        view.signal, view.signal_reason = event.signal, event.reason
        view.updated_at = occurred(session)
        _line(
            session,
            event.task_id,
            "signal",
            f"转为{rules.SIGNAL_LABELS[event.signal]}",
            event.reason,
        )


def on_notification(session: Session, event: Event) -> None:
    assert isinstance(event, NotificationSentV1 | NotificationFailedV1)
    if isinstance(event, NotificationSentV1):
        title, detail, at = (
            f"消息已发送：{event.owner}（{event.channel}）",
            event.kind,
            event.sent_at,
        )
    else:
        title, detail, at = f"消息未送达：{event.owner}", event.reason, event.failed_at
    _line(session, event.task_id, "notification", title[:200], detail, at=at)


FOLDS: dict[str, EventHandler] = {
    DocumentPublishedV1.TYPE: on_document_published,
    TaskDefinedV1.TYPE: on_task_defined,
    TaskRegisteredV1.TYPE: on_task_registered,
    TaskStatusChangedV1.TYPE: on_status_changed,
    AssignmentChangedV1.TYPE: on_assignment_changed,
    ProgressSubmittedV1.TYPE: on_progress_submitted,
    ProgressReviewedV1.TYPE: on_progress_reviewed,
    TaskUrgedV1.TYPE: on_urged,
    MilestoneRescheduledV1.TYPE: on_rescheduled,
    ReminderRequestedV1.TYPE: on_reminder,
    TaskSignalChangedV1.TYPE: on_signal_changed,
    NotificationSentV1.TYPE: on_notification,
    NotificationFailedV1.TYPE: on_notification,
}


def _kept(fold: EventHandler) -> Callable[[Session, Event], None]:
    def handle(session: Session, event: Event) -> None:
        journal.keep(session, event)
        fold(session, event)

    handle.__doc__ = fold.__doc__
    return handle


SUBSCRIPTIONS: dict[str, EventHandler] = {
    **{name: _kept(fold) for name, fold in FOLDS.items()},
    **credentials.SUBSCRIPTIONS,
}
