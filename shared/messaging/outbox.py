"""The transactional outbox: events are rows written in the same transaction as the state
change, and a relay thread moves them to the bus afterwards.

A crash after the commit loses nothing: the row waits until a relay publishes it. A crash
after publishing and before marking the row publishes it again; consumers deduplicate on the
event id. The relay takes its batch with ``FOR UPDATE`` (on PostgreSQL), so two replicas of a
service never publish the same rows side by side and rows go out in commit order.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, insert, select, update
from sqlalchemy.orm import Session

from shared.contracts import Event, topic_for
from shared.messaging.bus import Bus
from shared.messaging.tables import OUTBOX
from shared.metrics import EVENTS_PUBLISHED, OUTBOX_PURGED

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# Under load (a batch held events of several commits), the relay waits this long before the
# next one even when commits keep waking it: one query then publishes the events of many
# commits instead of one query per commit competing with the requests for the CPU. A lone
# commit on a quiet system goes out at once.
MIN_GAP_S = 0.02
# After a failed batch (the broker or the database is down) the relay waits before trying
# again: twice as long after each failure in a row, from BACKOFF_FIRST_S up to BACKOFF_MAX_S.
# A commit ends the wait at once (the broker may be back, and its events should go out now),
# but never before RETRY_GAP_S: commits arriving all the time must not drive failing
# attempts in a hot loop.
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 5.0
RETRY_GAP_S = 0.25


_INSERT = insert(OUTBOX)  # one statement, values as parameters: compiled once, cached


def outbox_row(event: Event, occurred_at: datetime, event_id: str | None = None) -> dict[str, Any]:
    """The outbox row of an event: the one place a row is built from a contract, whether
    one event is written (``add_event``) or thousands at once (``outbox_rows``)."""
    event_id = event_id or str(uuid.uuid4())
    return {
        "event_id": event_id,
        "type": event.TYPE,
        "version": event.VERSION,
        "key": event.key(),
        "payload": event.envelope_bytes(event_id, occurred_at),
        "created_at": occurred_at,
    }


def outbox_rows(events: Sequence[Event], occurred_at: datetime) -> list[dict[str, Any]]:
    """The rows of many events of one transaction (their random ids drawn at once)."""
    return [
        outbox_row(event, occurred_at, event_id)
        for event, event_id in zip(events, random_uuids(len(events)), strict=True)
    ]


def random_uuids(count: int) -> list[str]:
    """``count`` version-4 UUIDs as text, from one draw of random bytes (a scan writes
    thousands of events: one UUID object each was a tenth of its time in Python)."""
    noise = bytearray(os.urandom(16 * count))
    noise[6::16] = bytes((b & 0x0F) | 0x40 for b in noise[6::16])  # version 4
    noise[8::16] = bytes((b & 0x3F) | 0x80 for b in noise[8::16])  # RFC 4122 variant
    digits = noise.hex()
    return [
        f"{d[:8]}-{d[8:12]}-{d[12:16]}-{d[16:20]}-{d[20:32]}"
        for d in (digits[32 * n : 32 * n + 32] for n in range(count))
    ]


def add_event(session: Session, event: Event) -> None:
    """Record an event in the caller's transaction; it is published once that commits."""
    add_events(session, [event])


# Writes rows to a table on a connection (a service's faster bulk writer, e.g. COPY).
RowWriter = Callable[[Connection, Table, list[dict[str, Any]]], None]


def add_events(session: Session, events: Sequence[Event], write: RowWriter | None = None) -> int:
    """Record events in the caller's transaction, in order, in one statement (a notice's
    tasks, a scan's reminders); ``write`` replaces the plain INSERT where a service has a
    faster way to write many rows. Returns how many."""
    rows = outbox_rows(events, datetime.now(UTC))
    if not rows:
        return 0
    if write is None:
        session.execute(_INSERT, rows)
    else:
        write(session.connection(), OUTBOX, rows)
    session.info["outbox_written"] = True
    return len(rows)


@dataclass(frozen=True, slots=True)
class _Stored:
    """An outbox row as the bus takes it: the envelope's bytes exactly as committed."""

    key: str
    payload: bytes

    def to_bytes(self) -> bytes:
        return self.payload


class OutboxRelay:
    def __init__(
        self,
        service: str,
        engine: Engine,
        bus: Bus,
        topic_prefix: str,
        interval_s: float = 0.5,
        min_gap_s: float = MIN_GAP_S,
    ) -> None:
        self.service = service
        self._engine = engine
        self._bus = bus
        self._prefix = topic_prefix
        self._interval = interval_s
        self._min_gap = min_gap_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def relay_once(self) -> int:
        """Publish one batch of pending rows; returns how many went out."""
        with self._engine.begin() as conn:
            rows = conn.execute(
                select(OUTBOX.c.seq, OUTBOX.c.key, OUTBOX.c.payload)
                .where(OUTBOX.c.published_at.is_(None))
                .order_by(OUTBOX.c.seq)
                .limit(BATCH_SIZE)
                .with_for_update()
            ).all()
            if not rows:
                return 0
            stored = [_Stored(row.key, row.payload) for row in rows]
            self._bus.publish(topic_for(self.service, self._prefix), stored)
            conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.seq.in_([row.seq for row in rows]))
                .values(published_at=datetime.now(UTC))
            )
        EVENTS_PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

    def purge_published(self, older_than_days: float) -> int:
        cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
        with self._engine.begin() as conn:
            result = conn.execute(delete(OUTBOX).where(OUTBOX.c.published_at < cutoff))
        purged = result.rowcount or 0
        OUTBOX_PURGED.labels(self.service).inc(purged)
        return purged

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"relay-{self.service}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            self._wake.clear()  # before the query: a commit during it wakes the next wait
            try:
                published = self.relay_once()
            except Exception as exc:
                failures += 1
                log.warning(
                    "outbox relay of %s failed (attempt %d): %r",
                    self.service,
                    failures,
                    exc,
                    exc_info=failures == 1,  # the whole story once, then a line per attempt
                )
                self._back_off(failures)
                continue
            if failures:
                log.info("outbox relay of %s works again after %d failures", self.service, failures)
                failures = 0
            if published == BATCH_SIZE:
                continue  # a backlog: drain it
            if published == 0:
                self._wake.wait(self._interval)
            if published > 1 and self._min_gap:
                self._stopping.wait(self._min_gap)  # let commits gather into the next batch

    def _back_off(self, failures: int) -> None:
        """Wait before the next attempt: at least RETRY_GAP_S, at most the back-off of this
        many failures in a row; a commit (``wake``) or ``stop`` ends the wait early."""
        backoff = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (failures - 1))
        if self._stopping.wait(min(RETRY_GAP_S, backoff)):
            return
        self._wake.wait(max(0.0, backoff - RETRY_GAP_S))
