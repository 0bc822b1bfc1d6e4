"""The events a delivery's end publishes, built from its row."""

from __future__ import annotations

from datetime import datetime

from services.notify.delivery.models import Delivery
from shared.contracts.notify import NotificationFailedV1, NotificationSentV1


def sent_event(row: Delivery, now: datetime) -> NotificationSentV1:
    return NotificationSentV1(
        delivery_id=row.id,
        government_id=row.government_id,
        task_id=row.task_id,
        dedup_key=row.dedup_key,
        kind=row.kind,
        owner_kind=row.owner_kind,  # type: ignore[arg-type]
        owner=row.owner,
        post=row.post,
        channel=row.channel,
        provider=row.provider,
        attempts=max(1, row.attempts),
        digest_of=row.digest_of,
        sent_at=now,
    )


def failed_event(row: Delivery, outcome: str, now: datetime) -> NotificationFailedV1:
    return NotificationFailedV1(
        delivery_id=row.id,
        government_id=row.government_id,
        task_id=row.task_id,
        dedup_key=row.dedup_key,
        kind=row.kind,
        owner_kind=row.owner_kind,  # type: ignore[arg-type]
        owner=row.owner,
        post=row.post,
        channel=row.channel,
        outcome=outcome,  # type: ignore[arg-type]
        code=row.last_code[:100],
        reason=row.last_message[:20_000] or "发送失败",
        attempts=row.attempts,
        failed_at=now,
    )
