"""Event handlers of the tasks service. Each runs inside the inbox transaction, so a
redelivered event never registers anything twice."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.tasks.registration import service
from shared.contracts import Event
from shared.contracts.intake import DocumentPublishedV1, TaskDefinedV1, TaskWithdrawnV1
from shared.messaging.inbox import BatchEventHandler, EventHandler


def on_task_defined(session: Session, event: Event) -> None:
    on_tasks_defined(session, [event])


def on_tasks_defined(session: Session, events: Sequence[Event]) -> None:
    assert all(isinstance(event, TaskDefinedV1) for event in events)
    service.define_tasks(session, events)  # type: ignore[arg-type]


def on_document_published(session: Session, event: Event) -> None:
    assert isinstance(event, DocumentPublishedV1)
    service.register_document(session, event)


def on_task_withdrawn(session: Session, event: Event) -> None:
    assert isinstance(event, TaskWithdrawnV1)
    service.withdraw_task(session, event)


SUBSCRIPTIONS: dict[str, EventHandler] = {
    TaskDefinedV1.TYPE: on_task_defined,
    DocumentPublishedV1.TYPE: on_document_published,
    TaskWithdrawnV1.TYPE: on_task_withdrawn,
}
BATCH_SUBSCRIPTIONS: dict[str, BatchEventHandler] = {TaskDefinedV1.TYPE: on_tasks_defined}
