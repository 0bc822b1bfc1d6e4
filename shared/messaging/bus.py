"""The bus interface that both implementations honour, and the factory that picks one.

Guarantees, the same on both: ``publish`` returns only when the records are durable; records
with the same key keep their order; consumers in one group share partitions and rebalance
when one joins or leaves; a consumer commits a record's offset only after its handler has
returned (at-least-once), so a consumer killed in between sees the record again elsewhere.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from shared.config import Settings
from shared.contracts import Envelope

log = logging.getLogger(__name__)

Handler = Callable[[Envelope], None]

# Handler failures are retried on the same record (order matters), backing off up to this.
MAX_RETRY_BACKOFF_S = 30.0


class Publishable(Protocol):
    """What a bus needs of a record: its key and its bytes. An Envelope is one; so is an
    outbox row, which the relay publishes as stored, without parsing it first."""

    @property
    def key(self) -> str: ...

    def to_bytes(self) -> bytes: ...


class BusConsumer(Protocol):
    def start(self) -> None:
        """Join the group and consume on a background thread."""

    def stop(self) -> None:
        """Finish the record in hand, commit, leave the group."""

    def kill(self) -> None:
        """Stop at once without committing: what a crash looks like to the group."""

    def assigned_partitions(self) -> set[tuple[str, int]]:
        """The (topic, partition) pairs this member owns now."""


class Bus(Protocol):
    def ensure_topics(self, topics: Sequence[str]) -> None: ...

    def publish(self, topic: str, envelopes: Sequence[Publishable]) -> None: ...

    def consumer(self, group: str, topics: Sequence[str], handler: Handler) -> BusConsumer: ...

    def ping(self) -> None:
        """Raise if the bus cannot be reached."""

    def close(self) -> None: ...


class ConsumerThread:
    """What both buses' consumers share: a daemon thread, a graceful stop and a kill.

    Subclasses implement ``_run`` and check ``_stopping`` and ``_killed`` as they go."""

    def __init__(self, name: str, handler: Handler) -> None:
        self._handler = handler
        self._stopping = threading.Event()
        self._killed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._join()

    def kill(self) -> None:
        self._killed = True
        self._stopping.set()
        self._join()

    def _join(self) -> None:
        # kill() may come from the handler itself, i.e. from this very thread.
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=60)

    def _run(self) -> None:
        raise NotImplementedError


def retry_backoff(attempt: int) -> float:
    return min(MAX_RETRY_BACKOFF_S, 0.1 * 2**attempt)


def create_bus(settings: Settings) -> Bus:
    if settings.bus == "kafka":
        from shared.messaging.kafka import KafkaBus

        return KafkaBus(
            settings.kafka_bootstrap,
            partitions=settings.kafka_partitions,
            replication=settings.kafka_replication,
        )
    from shared.messaging.memory import MemoryBus

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return MemoryBus(settings.data_dir / "bus.db", partitions=settings.memory_partitions)


def deliver(value: bytes, handler: Handler, stopping: threading.Event) -> bool:
    """Hand one record to the handler, retrying on the same record with backoff so that a
    failing handler never lets a later event of the same key overtake it. False only when
    the consumer is stopping before the handler succeeded."""
    try:
        envelope = Envelope.from_bytes(value)
    except ValueError:
        log.error("skipping a record that is not a valid envelope (%d bytes)", len(value))
        return True
    attempt = 0
    while not stopping.is_set():
        try:
            handler(envelope)
            return True
        except Exception:
            log.exception("handler failed on %s %s; retrying", envelope.type, envelope.id)
            stopping.wait(retry_backoff(attempt))
            attempt += 1
    return False
