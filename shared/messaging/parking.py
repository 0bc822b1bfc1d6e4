"""The parked events of a service: written in the consumer's transaction, read by operators.

An event is parked when it cannot be handled (``failed``), and so is every later event of
the same key while one is parked (``waiting``): the events of one task keep their order,
and the rest of the partition flows. Parking is counted and logged for the on-call.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select, union_all
from sqlalchemy.orm import Session

from shared.messaging.bus import Record
from shared.messaging.tables import INBOX, PARKED
from shared.metrics import EVENTS_PARKED

log = logging.getLogger(__name__)


class ParkReason(StrEnum):
    FAILED = "failed"  # its own handling failed
    WAITING = "waiting"  # behind a parked event of the same key


@dataclass(frozen=True, slots=True)
class Parking:
    """Why one record is parked, as the consumer found it."""

    record: Record
    event_id: str
    type: str
    reason: ParkReason
    error: str
    attempts: int


LIVE = PARKED.c.discarded_at.is_(None)


def record_id(record: Record) -> str:
    """The id of a record that is not an envelope: where it sits on the bus."""
    return f"{record.topic}/{record.partition}/{record.offset}"


def done_ids(session: Session, event_ids: Collection[str]) -> set[str]:
    """Those of ``event_ids`` this service handled or parked before (a redelivery is a
    no-op either way)."""
    if not event_ids:
        return set()
    ids = list(event_ids)
    query = union_all(
        select(INBOX.c.event_id).where(INBOX.c.event_id.in_(ids)),
        select(PARKED.c.event_id).where(PARKED.c.event_id.in_(ids)),
    )
    return set(session.scalars(query))


def held_keys(session: Session, keys: Collection[str]) -> dict[str, str]:
    """Of ``keys``, those held by a live parked event, with the first such event's id. The
    rows are locked (on PostgreSQL) so that an operator releasing a key and a consumer
    parking behind it take turns."""
    if not keys:
        return {}
    rows = session.execute(
        select(PARKED.c.key, PARKED.c.event_id)
        .where(PARKED.c.key.in_(list(keys)), LIVE)
        .order_by(PARKED.c.seq)
        .with_for_update()
    )
    held: dict[str, str] = {}
    for key, event_id in rows:
        held.setdefault(key, event_id)
    return held


def waiting_error(first: str) -> str:
    return f"排在被搁置的事件 {first} 之后：同一对象的事件须按顺序处理，待其重试或丢弃后自动处理"


def park(session: Session, service: str, parking: Parking) -> None:
    record = parking.record
    session.execute(
        insert(PARKED).values(
            event_id=parking.event_id,
            type=parking.type,
            key=record.key,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            payload=record.value,
            reason=parking.reason.value,
            error=parking.error,
            attempts=parking.attempts,
            parked_at=datetime.now(UTC),
        )
    )
    EVENTS_PARKED.labels(service, parking.type, parking.reason.value).inc()
    log.error(
        "%s parked %s %s (key %s, %s[%d]@%d, %s): %s",
        service,
        parking.type,
        parking.event_id,
        record.key,
        record.topic,
        record.partition,
        record.offset,
        parking.reason.value,
        parking.error,
    )


def parked_rows(session: Session, include_discarded: bool = False) -> list[Any]:
    query = select(PARKED).order_by(PARKED.c.seq)
    if not include_discarded:
        query = query.where(LIVE)
    return list(session.execute(query))


def parked_row(session: Session, event_id: str) -> Any | None:
    return session.execute(select(PARKED).where(PARKED.c.event_id == event_id)).first()


def first_live_of(session: Session, key: str) -> Any | None:
    return session.execute(
        select(PARKED).where(PARKED.c.key == key, LIVE).order_by(PARKED.c.seq).limit(1)
    ).first()


def as_record(row: Any) -> Record:
    return Record(row.topic, row.partition, row.offset, row.key, row.payload)
