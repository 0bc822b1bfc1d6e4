"""Rebuilding the views: empty every read model and fold the journal again, in the order the
events arrived, through the same handlers. The result is identical to the views as they
were (a test compares every view before and after)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from services.reporting import journal
from services.reporting.handlers import FOLDS
from services.reporting.models import VIEW_TABLES
from shared.contracts import decode


def rebuild(sessions: sessionmaker[Session], batch: int = 1000) -> int:
    """Returns how many events were replayed."""
    with sessions.begin() as session:
        for table in reversed(VIEW_TABLES):
            session.execute(delete(table))
    replayed, after = 0, 0
    while True:
        with sessions.begin() as session:
            session.info[journal.REPLAYING] = True
            rows = journal.entries(session, after, batch)
            for seq, envelope in rows:
                session.info["envelope"] = envelope
                FOLDS[envelope.type](session, decode(envelope))
                session.flush()
                after = seq
            replayed += len(rows)
        if len(rows) < batch:
            return replayed
