"""Event handlers of the notify service."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notify.models import Notice
from shared.contracts import Event
from shared.contracts.tasks import TaskRegisteredV1
from shared.messaging.inbox import EventHandler


def on_task_registered(session: Session, event: Event) -> None:
    assert isinstance(event, TaskRegisteredV1)
    known = set(
        session.scalars(
            select(Notice.unit).where(
                Notice.task_id == event.task_id, Notice.kind == "task_assigned"
            )
        )
    )
    now = datetime.now(UTC)
    for unit in event.units:
        if unit not in known:
            session.add(
                Notice(
                    task_id=event.task_id,
                    unit=unit,
                    kind="task_assigned",
                    status="pending",
                    created_at=now,
                )
            )


SUBSCRIPTIONS: dict[str, EventHandler] = {TaskRegisteredV1.TYPE: on_task_registered}
