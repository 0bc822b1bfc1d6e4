"""Event handlers of the notify service: each turns an event into the notices it owes,
once per recipient (the sender plans and sends their deliveries, ``delivery.sender``); a
unit's progress report closes the OA to-dos it was sent for the task (``delivery.todo``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notify.delivery.todo import on_progress_submitted
from services.notify.messages import reminder_text, urge_text
from services.notify.models import Notice
from shared.contracts import Event
from shared.contracts.reporting import LeaderDigestRequestedV1
from shared.contracts.tasks import (
    ProgressSubmittedV1,
    ReminderRequestedV1,
    TaskRegisteredV1,
    TaskUrgedV1,
)
from shared.identity import credentials
from shared.messaging.inbox import EventHandler

BEIJING = ZoneInfo("Asia/Shanghai")  # the day a message is sent, as its reader counts it


def _owe(
    session: Session,
    key: str,
    government_id: str,
    task_id: str,
    kind: str,
    body: str,
    recipients: Iterable[tuple[str, str]],
    due: date | None = None,
    task_number: str = "",
    subject: str = "",
) -> None:
    now = datetime.now(UTC)
    wanted = {f"{key}|{name}": (name, recipient_kind) for name, recipient_kind in recipients}
    known = set(session.scalars(select(Notice.dedup_key).where(Notice.dedup_key.in_(wanted))))
    for dedup_key, (name, recipient_kind) in wanted.items():
        if dedup_key not in known:
            session.add(
                Notice(
                    dedup_key=dedup_key,
                    government_id=government_id,
                    task_id=task_id,
                    unit=name,
                    recipient_kind=recipient_kind,
                    kind=kind,
                    body=body,
                    due_date=due,
                    task_number=task_number,
                    subject=subject,
                    status="pending",
                    created_at=now,
                )
            )


def on_task_registered(session: Session, event: Event) -> None:
    assert isinstance(event, TaskRegisteredV1)
    body = f"【交办】新任务{event.number}：{event.text[:60]}，请及时签收。"
    _owe(
        session,
        f"task_assigned:{event.task_id}",
        event.government_id,
        event.task_id,
        "task_assigned",
        body,
        ((unit, "unit") for unit in event.units),
        task_number=event.number,
    )


def on_reminder_requested(session: Session, event: Event) -> None:
    assert isinstance(event, ReminderRequestedV1)
    recipients = [(u, "unit") for u in event.units] + [(p, "leader") for p in event.leaders]
    _owe(
        session,
        event.dedup_key,
        event.government_id,
        event.task_id,
        event.kind,
        reminder_text(event, datetime.now(BEIJING).date()),
        recipients,
        event.due_date,
        event.task_number,
        event.subject,
    )


def on_task_urged(session: Session, event: Event) -> None:
    assert isinstance(event, TaskUrgedV1)
    if event.kind != "urge":
        return  # escalations arrive as reminder requests, with their own keys
    # the message by its digest: a 催办 may run to limits.TEXT, the key is kept in 500
    digest = hashlib.sha256(event.message.encode()).hexdigest()
    key = f"urge:{event.task_id}:{event.actor}:{digest}"
    _owe(
        session,
        key,
        event.government_id,
        event.task_id,
        "urge",
        urge_text(None, event.message),
        ((unit, "unit") for unit in event.units),
    )


def on_leader_digest(session: Session, event: Event) -> None:
    """A leader's daily list of red tasks: one message, not one per task."""
    assert isinstance(event, LeaderDigestRequestedV1)
    if not event.items:
        return
    lines = [
        f"{n}. 任务{item.number}：{item.text[:40]}（{item.reason[:60]}）"
        for n, item in enumerate(event.items, start=1)
    ]
    body = f"【督办日报】{event.subject}，共{len(event.items)}项：\n" + "\n".join(lines)
    _owe(
        session,
        f"leader_digest:{event.dedup_key}",
        event.government_id,
        event.items[0].task_id,
        "leader_digest",
        body,
        [(event.leader, "leader")],
        subject=event.subject[:200],
    )


SUBSCRIPTIONS: dict[str, EventHandler] = {
    LeaderDigestRequestedV1.TYPE: on_leader_digest,
    TaskRegisteredV1.TYPE: on_task_registered,
    ReminderRequestedV1.TYPE: on_reminder_requested,
    TaskUrgedV1.TYPE: on_task_urged,
    ProgressSubmittedV1.TYPE: on_progress_submitted,
    **credentials.SUBSCRIPTIONS,
}
