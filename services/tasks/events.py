"""Writing many events at once: the deadline scan and the signal refresh announce thousands
per tick. Each row is built from its contract by ``shared.messaging.outbox.outbox_rows``,
where every outbox row is made; only how they are written is the recorder's."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.tasks.recorders import recorder_for
from shared.contracts import Event
from shared.messaging import outbox


def add_events(session: Session, events: Sequence[Event]) -> int:
    """``outbox.add_events`` written by the recorder of the session's database (COPY on
    PostgreSQL)."""
    return outbox.add_events(session, events, recorder_for(session).insert_many)
