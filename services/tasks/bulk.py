"""Writing many rows at once in the caller's transaction: COPY on PostgreSQL (psycopg), an
executemany elsewhere. The scan and the signal refresh announce thousands of events and
audit entries per tick; these are the bulk forms of ``outbox.add_event`` and
``audit.record``, writing the very same rows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_json
from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

from services.tasks.models import AuditEntry
from shared.contracts import Event
from shared.messaging.tables import OUTBOX

CHUNK = 5000  # rows per bulk statement


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _copy(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """COPY rows into ``table`` on the session's connection, inside its transaction."""
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows of ``table`` (dicts with the same keys): COPY on PostgreSQL, an
    executemany elsewhere. The caller's transaction either way."""
    if not rows:
        return
    driver = session.connection().connection.driver_connection
    if not is_pg(session) or type(driver).__module__.split(".")[0] != "psycopg":
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    encoded = [isinstance(table.c[name].type, JSON) for name in columns]
    _copy(
        session,
        table.name,
        columns,
        (
            [
                json.dumps(v, ensure_ascii=False) if json_ else v  # None: JSON null, as the ORM
                for v, json_ in zip(row.values(), encoded, strict=True)
            ]
            for row in rows
        ),
    )


def envelope_bytes(event: Event, event_id: uuid.UUID, occurred_at: datetime) -> bytes:
    """What ``Envelope.to_bytes`` gives for the event's envelope, byte for byte, without
    building and validating a second model (and a dict copy of the data) per event: for the
    thousands of events of a scan that was most of its time in Python. The event itself was
    validated when it was made."""
    return to_json(
        {
            "id": event_id,
            "type": event.TYPE,
            "version": event.VERSION,
            "occurred_at": occurred_at,
            "source": event.SOURCE,
            "key": event.key(),
            "data": event,
        }
    )


def add_events(session: Session, events: Iterable[Event]) -> int:
    """``shared.messaging.outbox.add_event`` for many events: one bulk insert, same rows (all
    occurred at the same moment: they are one transaction's)."""
    now = datetime.now(UTC)
    rows = []
    for event in events:
        event_id = uuid.uuid4()
        rows.append(
            dict(
                event_id=str(event_id),
                type=event.TYPE,
                version=event.VERSION,
                key=event.key(),
                payload=envelope_bytes(event, event_id, now),
                created_at=now,
            )
        )
    bulk_insert(session, OUTBOX, rows)
    if rows:
        session.info["outbox_written"] = True
    return len(rows)


def add_audit_entries(session: Session, entries: list[dict[str, Any]]) -> None:
    """``audit.record`` for many entries (each a dict of its keyword arguments)."""
    now = datetime.now(UTC)
    rows = [
        dict(
            government_id=e["government_id"],
            actor=e["actor"],
            action=e["action"],
            entity=e["entity"],
            entity_id=str(e["entity_id"]),
            task_id=e.get("task_id", e["entity_id"] if e["entity"] == "task" else None),
            before=e.get("before"),
            after=e.get("after"),
            at=now,
        )
        for e in entries
    ]
    bulk_insert(session, AuditEntry.__table__, rows)
