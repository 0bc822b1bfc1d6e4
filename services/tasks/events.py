"""Writing many events at once: the deadline scan and the signal refresh announce thousands
per tick. Each row is built from its contract by ``shared.messaging.outbox.outbox_row``, the
one place an outbox row is made; only how they are written is the recorder's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from services.tasks.recorders import recorder_for
from shared.contracts import Event
from shared.messaging.outbox import outbox_row
from shared.messaging.tables import OUTBOX


def add_events(session: Session, events: Iterable[Event]) -> int:
    """``add_event`` for many events, in the session's transaction (all occurred at the same
    moment: they are one transaction's)."""
    now = datetime.now(UTC)
    rows = [outbox_row(event, now) for event in events]
    recorder_for(session).insert_many(session.connection(), OUTBOX, rows)
    if rows:
        session.info["outbox_written"] = True
    return len(rows)
