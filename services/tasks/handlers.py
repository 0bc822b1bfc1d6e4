"""Event handlers of the tasks service. Each runs inside the inbox transaction, so a
redelivered event never registers a task twice."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from services.tasks.models import Task
from shared.contracts import Event
from shared.contracts.intake import TaskDefinedV1
from shared.contracts.tasks import TaskRegisteredV1
from shared.messaging.inbox import EventHandler
from shared.messaging.outbox import add_event


def on_task_defined(session: Session, event: Event) -> None:
    assert isinstance(event, TaskDefinedV1)
    if session.get(Task, event.task_id) is not None:
        return  # the same task re-sent under a new event id
    units = list(
        dict.fromkeys([*event.lead_units, *event.responsible_units, *event.cooperating_units])
    )
    session.add(
        Task(
            id=event.task_id,
            document_id=event.document_id,
            number=event.number,
            text=event.text,
            units=units,
            status="assigned",
            registered_at=datetime.now(UTC),
        )
    )
    add_event(
        session,
        TaskRegisteredV1(
            task_id=event.task_id,
            document_id=event.document_id,
            number=event.number,
            text=event.text,
            units=units,
            status="assigned",
        ),
    )


SUBSCRIPTIONS: dict[str, EventHandler] = {TaskDefinedV1.TYPE: on_task_defined}
