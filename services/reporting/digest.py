"""The daily digest per leader in charge: one ``leader.digest_requested`` event per leader
with red tasks, so that notify can owe the leader one message listing them, not one per
task. At most one per government, leader and day (``report_digest``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.reporting.models import DigestSent, TaskView
from services.reporting.views.scope import Scope
from services.reporting.views.snapshot import snapshot
from shared.contracts.reporting import DigestItem, LeaderDigestRequestedV1
from shared.messaging.outbox import add_event


def request_digests(session: Session, today: date, government: str | None = None) -> int:
    """Write today's digests (those not yet written); returns how many."""
    govs = (
        [government]
        if government
        else sorted(set(session.scalars(select(TaskView.government_id).distinct())))
    )
    written = 0
    for gov in govs:
        snap = snapshot(session, Scope(gov, None), today)
        red: dict[str, list[DigestItem]] = {}
        for t in snap.tasks:
            if t.colour != "red":
                continue
            item = DigestItem(
                task_id=t.view.task_id,
                number=t.view.number,
                text=t.view.text,
                reason=t.view.signal_reason,
                workdays_overdue=t.workdays_overdue,
            )
            for leader in t.view.leaders:
                red.setdefault(leader, []).append(item)
        for leader, items in sorted(red.items()):
            key = f"{gov}|{leader}|{today.isoformat()}"
            if session.get(DigestSent, key) is not None:
                continue
            session.add(DigestSent(dedup_key=key, requested_at=datetime.now(UTC)))
            add_event(
                session,
                LeaderDigestRequestedV1(
                    dedup_key=key,
                    government_id=gov,
                    leader=leader,
                    day=today,
                    subject=f"{leader}同志：您分管的重点工作有{len(items)}项红灯，请关注",
                    items=items,
                ),
            )
            written += 1
    return written
