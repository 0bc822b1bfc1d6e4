"""What operators do with a service's parked events, shared by ``duban events`` and the
operator API (``/ops/parked``): list them, read one whole, retry one (and those waiting
behind it), discard one."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shared.messaging import parking
from shared.messaging.inbox import Released


def summary(row: Any) -> dict[str, Any]:
    """A parked event as listed: where it sat, why it is parked, since when."""
    return {
        "event_id": row.event_id,
        "type": row.type,
        "key": row.key,
        "place": f"{row.topic}[{row.partition}]@{row.offset}",
        "reason": row.reason,
        "error": row.error,
        "attempts": row.attempts,
        "parked_at": row.parked_at.isoformat(),
        "discarded_at": row.discarded_at.isoformat() if row.discarded_at else None,
        "discarded_by": row.discarded_by,
    }


def detail(row: Any) -> dict[str, Any]:
    """A parked event whole: its summary and the record as it came (JSON when it is)."""
    try:
        payload: Any = json.loads(row.payload)
    except ValueError:
        payload = row.payload.decode("utf-8", "replace")
    return {**summary(row), "payload": payload}


def listed(sessions: sessionmaker[Session], include_discarded: bool) -> list[dict[str, Any]]:
    with sessions() as session:
        return [summary(row) for row in parking.parked_rows(session, include_discarded)]


def found(sessions: sessionmaker[Session], event_id: str) -> dict[str, Any] | None:
    with sessions() as session:
        row = parking.parked_row(session, event_id)
    return None if row is None else detail(row)


def outcome(released: list[Released]) -> list[dict[str, Any]]:
    return [{"event_id": r.event_id, "handled": r.handled, "error": r.error} for r in released]
