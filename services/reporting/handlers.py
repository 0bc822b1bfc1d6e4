"""Event handlers of the reporting service: each folds one event into the read models.
Events of one task arrive in order (same key); an event about a task not seen yet waits
for nothing: it is skipped, since task.registered always comes first for a task."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from services.reporting.models import TaskView
from shared.contracts import Event
from shared.contracts.tasks import (
    ProgressSubmittedV1,
    TaskRegisteredV1,
    TaskSignalChangedV1,
    TaskStatusChangedV1,
)
from shared.identity import credentials
from shared.messaging.inbox import EventHandler


def on_task_registered(session: Session, event: Event) -> None:
    assert isinstance(event, TaskRegisteredV1)
    view = session.get(TaskView, event.task_id) or TaskView(task_id=event.task_id)
    view.document_id, view.number, view.text = event.document_id, event.number, event.text
    view.units, view.status, view.government_id = event.units, event.status, event.government_id
    view.updated_at = datetime.now(UTC)
    session.merge(view)


def on_status_changed(session: Session, event: Event) -> None:
    assert isinstance(event, TaskStatusChangedV1)
    if view := session.get(TaskView, event.task_id):
        view.status, view.updated_at = event.status, datetime.now(UTC)


def on_signal_changed(session: Session, event: Event) -> None:
    assert isinstance(event, TaskSignalChangedV1)
    if view := session.get(TaskView, event.task_id):
        view.signal, view.signal_reason = event.signal, event.reason
        view.updated_at = datetime.now(UTC)


def on_progress_submitted(session: Session, event: Event) -> None:
    assert isinstance(event, ProgressSubmittedV1)
    if view := session.get(TaskView, event.task_id):
        view.percent = max(view.percent or 0, event.percent)
        view.last_report_at = event.submitted_at


SUBSCRIPTIONS: dict[str, EventHandler] = {
    TaskRegisteredV1.TYPE: on_task_registered,
    TaskStatusChangedV1.TYPE: on_status_changed,
    TaskSignalChangedV1.TYPE: on_signal_changed,
    ProgressSubmittedV1.TYPE: on_progress_submitted,
    **credentials.SUBSCRIPTIONS,
}
