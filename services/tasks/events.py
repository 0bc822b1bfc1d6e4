"""Writing many events at once: the deadline scan and the signal refresh announce thousands
per tick. Each row is built from its contract by ``shared.messaging.outbox.outbox_rows``,
where every outbox row is made; only how they are written is the recorder's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from services.tasks.recorders import recorder_for
from shared.contracts import Event
from shared.messaging.outbox import outbox_rows
from shared.messaging.tables import OUTBOX


def add_events(session: Session, events: Sequence[Event]) -> int:
    """``add_event`` for many events, in the session's transaction (all occurred at the same
    moment: they are one transaction's)."""
    rows = outbox_rows(events, datetime.now(UTC))
    recorder_for(session).insert_many(session.connection(), OUTBOX, rows)
    if rows:
        session.info["outbox_written"] = True
    return len(rows)
