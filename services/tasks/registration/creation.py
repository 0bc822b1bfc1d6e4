"""Registering tasks seen for the first time, many at once: a notice's tasks arrive together,
and a province publishes thousands. Every row of the batch is built in Python and written
in one statement per table; the colours are then judged by the one signal rule over the
batch (``refresh_signals`` with its ids). A task defined again takes the per-task path in
``service.py``, which keeps what its units already did."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.calendar.store import cached_calendar
from services.tasks.clock import beijing_today
from services.tasks.directory.models import Unit
from services.tasks.directory.resolve import directory_index
from services.tasks.events import add_events
from services.tasks.lifecycle.models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Indicator,
    Milestone,
    MilestoneStatus,
    Task,
    TaskStatus,
)
from services.tasks.recorders import recorder_for
from services.tasks.registration.models import Document
from services.tasks.registration.resolution import PRINTED_FIELDS, wanted_units
from services.tasks.signals.refresh import refresh_signals
from services.tasks.signals.rules import Signal, work_started
from shared.contracts.intake import TaskDefinedV1
from shared.contracts.tasks import TaskRegisteredV1

SYSTEM = "系统（通知发布）"


class _Rows:
    """The rows of a batch of new tasks, table by table, and what they leave behind."""

    def __init__(self) -> None:
        self.tasks: list[dict[str, Any]] = []
        self.assignments: list[dict[str, Any]] = []
        self.milestones: list[dict[str, Any]] = []
        self.indicators: list[dict[str, Any]] = []
        self.entries: list[audit.Entry] = []
        self.announced: list[TaskRegisteredV1] = []


def create_tasks(session: Session, events: Sequence[TaskDefinedV1]) -> None:
    """Register ``events``, each the first definition of a task not yet here."""
    if not events:
        return
    now, today = datetime.now(UTC), beijing_today()
    issued = _issued_dates(session, {event.document_id for event in events})
    indexes = {gov: directory_index(session, gov) for gov in {e.government_id for e in events}}
    rows = _Rows()
    for event in events:
        started = work_started(event.year or now.year, issued.get(event.document_id), today)
        _add_task(rows, event, indexes[event.government_id], started, now)
    connection, recorder = session.connection(), recorder_for(session)
    for table, values in (
        (Task.__table__, rows.tasks),
        (Assignment.__table__, rows.assignments),
        (Milestone.__table__, rows.milestones),
        (Indicator.__table__, rows.indicators),
    ):
        recorder.insert_many(connection, table, values)  # type: ignore[arg-type]
    audit.record_many(session, rows.entries)
    add_events(session, rows.announced)
    # A new task has no report yet: its figure is 0 whatever its units, as stored.
    ids = [event.task_id for event in events]
    refresh_signals(session, today, cached_calendar(session), task_ids=ids)


def _issued_dates(session: Session, document_ids: set[str]) -> dict[str, date | None]:
    rows = session.execute(
        select(Document.id, Document.issued_date).where(Document.id.in_(document_ids))
    )
    return {document_id: issued for document_id, issued in rows}


def _add_task(
    rows: _Rows, event: TaskDefinedV1, index: dict[str, Unit], started: date, now: datetime
) -> None:
    printed = {role: getattr(event, field) for role, field in PRINTED_FIELDS.items()}
    rows.tasks.append(
        {
            "id": event.task_id,
            "government_id": event.government_id,
            "document_id": event.document_id,
            "number": event.number,
            "path": event.path,
            "section": event.path[0] if event.path else "",
            "text": event.text,
            "year": event.year,
            "leaders": event.leaders,
            "units_as_printed": printed,
            "status": TaskStatus.ASSIGNED.value,
            "status_reason": "",
            "signal": Signal.GREEN.value,
            "signal_reason": "",
            "percent_done": 0,
            "started_on": started,
            "exempt_reminders": False,
            "revision": event.revision,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
    )
    wanted = wanted_units(index, printed)
    rows.assignments.extend(
        {
            "task_id": event.task_id,
            "unit": unit,
            "role": role,
            "via_group": via_group,
            "status": AssignmentStatus.ASSIGNED.value,
            "note": "",
            "updated_at": now,
        }
        for (unit, role), via_group in wanted.items()
    )
    rows.milestones.extend(
        {
            "task_id": event.task_id,
            "phrase": deadline.phrase,
            "about": deadline.about,
            "due_date": deadline.date,
            "original_due_date": deadline.date,
            "status": MilestoneStatus.OPEN.value,
        }
        for deadline in event.deadlines
    )
    rows.indicators.extend(
        {
            "task_id": event.task_id,
            "number": number,
            "phrase": target.phrase,
            "subject": target.subject,
            "comparator": target.comparator,
            "target_value": target.value,
            "target_max": target.value_max,
            "unit": target.unit,
        }
        for number, target in enumerate(event.targets, start=1)
    )
    rows.entries.append(
        audit.Entry(
            government_id=event.government_id,
            actor=event.actor or SYSTEM,
            action="task.defined",
            entity="task",
            entity_id=event.task_id,
            after={"text": event.text, "revision": event.revision},
        )
    )
    units = [unit for unit, _ in wanted]
    dated = sorted((d.date for d in event.deadlines if d.date), key=lambda due: due)
    rows.announced.append(
        TaskRegisteredV1(
            task_id=event.task_id,
            document_id=event.document_id,
            number=event.number,
            text=event.text,
            units=list(dict.fromkeys(units)),
            status=TaskStatus.ASSIGNED.value,
            government_id=event.government_id,
            section=event.path[0] if event.path else "",
            leaders=event.leaders,
            lead_units=[unit for unit, role in wanted if role == AssignmentRole.LEAD],
            due_dates=dated,
            revision=event.revision,
        )
    )
