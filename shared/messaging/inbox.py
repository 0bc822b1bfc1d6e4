"""The inbox: what makes every consumer idempotent, and what keeps it moving.

An event's id is inserted in the same transaction as the handler's effects. A redelivered
event finds its id already there and has no second effect; two consumers racing on the same
event (during a rebalance) collide on the primary key and the loser rolls back.

A batch of records is handled in one transaction (a notice's sixty tasks cost one commit,
not sixty). When the batch fails, its events are handled one by one, each in its own
transaction: an event that will never go through is parked (``parking.py``) and the others
go on; a failure that may pass (the database away) is raised, and the bus brings the batch
again after a back-off.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shared.contracts import Envelope, Event, decode
from shared.messaging import parking
from shared.messaging.bus import Record
from shared.messaging.failures import HANDLER_ATTEMPTS, describe, is_permanent, is_transient
from shared.messaging.parking import Parking, ParkReason
from shared.messaging.tables import INBOX, PARKED
from shared.metrics import EVENT_LAG, EVENTS_HANDLED

log = logging.getLogger(__name__)

EventHandler = Callable[[Session, Event], None]
# A service may also handle a run of events of one type at once (a notice's sixty tasks in
# a few statements): given them in order, it must do what its EventHandler would do to each.
BatchEventHandler = Callable[[Session, Sequence[Event]], None]


@dataclass(frozen=True, slots=True)
class _Item:
    """A record as read: its envelope and event, or why it cannot be read."""

    record: Record
    event_id: str
    type: str
    envelope: Envelope | None = None
    event: Event | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Released:
    """What became of one parked event an operator retried (or that was waiting behind it)."""

    event_id: str
    handled: bool
    error: str | None = None


class Subscriber:
    """Routes a service's records to its handlers, once each, parking what cannot pass."""

    def __init__(
        self,
        service: str,
        sessions: sessionmaker[Session],
        subscriptions: Mapping[str, EventHandler],
        batches: Mapping[str, BatchEventHandler] | None = None,
        attempts: int = HANDLER_ATTEMPTS,
    ) -> None:
        self.service = service
        self._sessions = sessions
        self._subscriptions = subscriptions
        self._batches = batches or {}
        self._attempts = attempts

    # -- the consumer's side -------------------------------------------------
    def __call__(self, records: Sequence[Record]) -> None:
        items = [self._read(record) for record in records]
        mine = [item for item in items if item.error or item.type in self._subscriptions]
        if not mine:
            return  # other consumers' events on a shared topic
        try:
            handled = self._handle_together(mine)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.warning(
                "%s: a batch of %d events failed (%s); handling them one by one",
                self.service,
                len(mine),
                describe(exc),
            )
            handled = [item for item in mine if self._handle_alone(item)]
        self._count(handled)

    def _read(self, record: Record) -> _Item:
        try:
            envelope = Envelope.from_bytes(record.value)
        except ValueError as exc:
            error = f"不是有效的事件信封：{describe(exc)}"
            return _Item(record, parking.record_id(record), "?", error=error)
        base = _Item(record, str(envelope.id), envelope.type, envelope)
        if envelope.type not in self._subscriptions:
            return base
        try:
            event = decode(envelope)
        except Exception as exc:  # an unknown version, or data its contract refuses
            error = f"事件内容不符合契约 {envelope.type} v{envelope.version}：{describe(exc)}"
            return _Item(record, base.event_id, base.type, envelope, error=error)
        return _Item(record, base.event_id, base.type, envelope, event)

    def _handle_together(self, items: Sequence[_Item]) -> list[_Item]:
        """All of ``items`` in one transaction; raises if any handler fails."""
        handled: list[_Item] = []
        with self._sessions.begin() as session:
            done = parking.done_ids(session, [item.event_id for item in items])
            held = parking.held_keys(session, {item.record.key for item in items})
            run: list[_Item] = []  # consecutive events of one type, handled together
            for item in items:
                if item.event_id in done:
                    continue
                done.add(item.event_id)
                if self._park_if_due(session, item, held):
                    continue
                if run and (run[0].type != item.type or item.type not in self._batches):
                    self._handle_run(session, run)
                    run = []
                run.append(item)
                handled.append(item)
            if run:
                self._handle_run(session, run)
            if handled:
                now = datetime.now(UTC)
                session.execute(
                    insert(INBOX),
                    [
                        {"event_id": i.event_id, "type": i.type, "processed_at": now}
                        for i in handled
                    ],
                )
        return handled

    def _park_if_due(self, session: Session, item: _Item, held: dict[str, str]) -> bool:
        """Park ``item`` if it cannot be read (its key is then ``held`` too) or its key is
        held by a parked event; True if it was parked."""
        if item.error is not None:
            self._park(session, item, ParkReason.FAILED, item.error, 1)
            held.setdefault(item.record.key, item.event_id)
            return True
        if item.record.key in held:
            error = parking.waiting_error(held[item.record.key])
            self._park(session, item, ParkReason.WAITING, error, 0)
            return True
        return False

    def _handle_run(self, session: Session, run: Sequence[_Item]) -> None:
        together = self._batches.get(run[0].type)
        if together is not None:
            together(session, [item.event for item in run])  # type: ignore[misc]
            return
        for item in run:
            session.info["envelope"] = item.envelope  # when it occurred, for handlers
            self._subscriptions[item.type](session, item.event)  # type: ignore[arg-type]

    def _handle_alone(self, item: _Item) -> bool:
        """One event in its own transaction, retried where a bug may have been a passing
        state; parked once it is sure to fail. True if its handler ran."""
        for attempt in range(1, self._attempts + 1):
            try:
                return self._handle_once(item)
            except Exception as exc:
                if is_transient(exc):
                    raise
                if is_permanent(exc) or attempt == self._attempts:
                    self._park_alone(item, describe(exc), attempt)
                    return False
                log.warning(
                    "%s: %s failed (attempt %d): %s",
                    self.service,
                    item.event_id,
                    attempt,
                    describe(exc),
                )
                time.sleep(0.05 * 2**attempt)
        return False

    def _handle_once(self, item: _Item) -> bool:
        try:
            with self._sessions.begin() as session:
                if parking.done_ids(session, [item.event_id]):
                    return False
                if self._park_if_due(session, item, parking.held_keys(session, [item.record.key])):
                    return False
                self._run_handler(session, item)
        except IntegrityError:
            if self._done(item.event_id):
                log.info("%s: event %s already processed elsewhere", self.service, item.event_id)
                return False
            raise
        return True

    def _run_handler(self, session: Session, item: _Item) -> None:
        session.execute(
            insert(INBOX).values(
                event_id=item.event_id, type=item.type, processed_at=datetime.now(UTC)
            )
        )
        session.flush()
        session.info["envelope"] = item.envelope  # when it occurred, for handlers that keep it
        self._subscriptions[item.type](session, item.event)  # type: ignore[arg-type]

    def _park_alone(self, item: _Item, error: str, attempts: int) -> None:
        with self._sessions.begin() as session:
            if not parking.done_ids(session, [item.event_id]):
                self._park(session, item, ParkReason.FAILED, error, attempts)

    def _park(
        self, session: Session, item: _Item, reason: ParkReason, error: str, attempts: int
    ) -> None:
        parking.park(
            session,
            self.service,
            Parking(item.record, item.event_id, item.type, reason, error, attempts),
        )

    def _done(self, event_id: str) -> bool:
        with self._sessions() as session:
            return bool(parking.done_ids(session, [event_id]))

    def _count(self, handled: Sequence[_Item]) -> None:
        now = datetime.now(UTC)
        lag = EVENT_LAG.labels(self.service)
        for item in handled:
            assert item.envelope is not None
            lag.observe(max((now - item.envelope.occurred_at).total_seconds(), 0.0))
        for type_, count in Counter(item.type for item in handled).items():
            EVENTS_HANDLED.labels(self.service, type_).inc(count)

    # -- the operator's side -------------------------------------------------
    def retry(self, event_id: str) -> list[Released]:
        """Handle a parked event again, then those waiting behind it, in order, until one
        fails. Refused (``ParkedError``) for an event waiting behind another."""
        with self._sessions() as session:
            row = parking.parked_row(session, event_id)
            if row is None or row.discarded_at is not None:
                raise NotParked(f"没有被搁置的事件 {event_id}")
            first = parking.first_live_of(session, row.key)
        if first is not None and first.event_id != event_id:
            raise ParkedError(f"事件 {event_id} 排在 {first.event_id} 之后，请先重试或丢弃后者")
        return self._release(row.key)

    def discard(self, event_id: str, actor: str) -> list[Released]:
        """Give up on a parked event (kept, marked discarded); those waiting behind it on
        its key are handled at once, in order, until one fails."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(PARKED)
                .where(PARKED.c.event_id == event_id, parking.LIVE)
                .values(discarded_at=datetime.now(UTC), discarded_by=actor)
                .returning(PARKED.c.key)
            ).first()
        if result is None:
            raise NotParked(f"没有被搁置的事件 {event_id}")
        log.warning("%s: parked event %s discarded by %s", self.service, event_id, actor)
        return self._release(result.key)

    def _release(self, key: str) -> list[Released]:
        released: list[Released] = []
        while True:
            with self._sessions() as session:
                row = parking.first_live_of(session, key)
            if row is None:
                return released
            outcome = self._retry_row(row)
            released.append(outcome)
            if not outcome.handled:
                return released

    def _retry_row(self, row: object) -> Released:
        item = self._read(parking.as_record(row))
        seq = row.seq  # type: ignore[attr-defined]
        try:
            if item.error is not None:
                raise ParkedError(item.error)
            with self._sessions.begin() as session:
                session.execute(delete(PARKED).where(PARKED.c.seq == seq))
                if not parking.done_ids(session, [item.event_id]):
                    self._run_handler(session, item)
        except Exception as exc:
            if is_transient(exc):
                raise
            error = item.error or describe(exc)
            with self._sessions.begin() as session:
                session.execute(
                    update(PARKED)
                    .where(PARKED.c.seq == seq)
                    .values(
                        reason=ParkReason.FAILED.value,
                        error=error,
                        attempts=PARKED.c.attempts + 1,
                    )
                )
            return Released(item.event_id, handled=False, error=error)
        log.info("%s: parked event %s handled on retry", self.service, item.event_id)
        return Released(item.event_id, handled=True)


class ParkedError(Exception):
    """An operator's request about a parked event that cannot be done; the message says why."""


class NotParked(ParkedError):
    """No live parked event has that id."""
