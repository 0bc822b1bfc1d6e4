"""The OA to-do's other half: when a unit reports progress on a task, every to-do pushed
into its OA for that task is marked done there (a ``todo_done`` delivery on the OA to-do
channel, referring to the to-do's own delivery, whose key the OA knows it by)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notify.delivery.models import DELIVERED, PENDING, Delivery
from shared.contracts import Event
from shared.contracts.tasks import ProgressSubmittedV1

OA_TODO = "oa_todo"
WINDOW = timedelta(days=1)  # the done call is retried for a day (the OA may be down)


def on_progress_submitted(session: Session, event: Event) -> None:
    assert isinstance(event, ProgressSubmittedV1)
    todos = session.scalars(
        select(Delivery).where(
            Delivery.government_id == event.government_id,
            Delivery.task_id == event.task_id,
            Delivery.owner_kind == "unit",
            Delivery.owner == event.unit,
            Delivery.channel == OA_TODO,
            Delivery.kind != "todo_done",
            Delivery.status == DELIVERED,
        )
    ).all()
    if not todos:
        return
    keys = [f"todo_done:{todo.id}" for todo in todos]
    done = set(session.scalars(select(Delivery.dedup_key).where(Delivery.dedup_key.in_(keys))))
    now = datetime.now(UTC)
    due = min(now, event.submitted_at)  # due from the report (a sender's clock may lag)
    for todo, key in zip(todos, keys, strict=True):
        if key in done:
            continue
        session.add(
            Delivery(
                notice_id=todo.notice_id,
                government_id=todo.government_id,
                task_id=todo.task_id,
                dedup_key=key,
                recipient_key=todo.recipient_key,
                contact_id=todo.contact_id,
                owner_kind=todo.owner_kind,
                owner=todo.owner,
                post=todo.post,
                recipient_name=todo.recipient_name,
                channel=OA_TODO,
                kind="todo_done",
                urgent=False,
                status=PENDING,
                attempts=0,
                next_attempt_at=due,
                deadline=max(now, event.submitted_at) + WINDOW,
                provider="",
                last_code="",
                last_message="单位已报送进展，OA 待办标记为已办",
                refers_to=todo.id,
                body="",
                created_at=now,
                updated_at=now,
            )
        )
