"""The journal: every event the views were built from, as it arrived (its envelope, byte for
byte). The views are a function of it: ``replay.py`` drops them and folds the journal again.

Why a journal of our own rather than the bus alone: the embedded bus and Kafka both keep
their logs, but Kafka may be configured to expire old records, and a rebuild should need
nothing but the reporting service's own database. Replaying the topics from the beginning
(a new consumer group) gives the same views; the journal makes it one command.
"""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.reporting.models import JournalEntry
from shared.contracts import Envelope, Event

REPLAYING = "replaying"


def keep(session: Session, event: Event) -> None:
    """Keep the envelope of the event being handled (nothing while replaying the journal)."""
    if session.info.get(REPLAYING):
        return
    envelope: Envelope | None = session.info.get("envelope")
    envelope = envelope or event.envelope()
    session.execute(
        insert(JournalEntry).values(
            event_id=str(envelope.id), type=envelope.type, envelope=envelope.to_bytes()
        )
    )


def entries(session: Session, after: int = 0, limit: int = 1000) -> list[tuple[int, Envelope]]:
    rows = session.execute(
        select(JournalEntry.seq, JournalEntry.envelope)
        .where(JournalEntry.seq > after)
        .order_by(JournalEntry.seq)
        .limit(limit)
    )
    return [(seq, Envelope.from_bytes(raw)) for seq, raw in rows]
