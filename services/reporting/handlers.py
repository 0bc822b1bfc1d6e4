"""Event handlers of the reporting service: each folds one event into the read models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from services.reporting.models import TaskView
from shared.contracts import Event
from shared.contracts.tasks import TaskRegisteredV1
from shared.messaging.inbox import EventHandler


def on_task_registered(session: Session, event: Event) -> None:
    assert isinstance(event, TaskRegisteredV1)
    session.merge(
        TaskView(
            task_id=event.task_id,
            document_id=event.document_id,
            number=event.number,
            text=event.text,
            units=event.units,
            status=event.status,
            updated_at=datetime.now(UTC),
        )
    )


SUBSCRIPTIONS: dict[str, EventHandler] = {TaskRegisteredV1.TYPE: on_task_registered}
