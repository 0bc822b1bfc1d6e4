"""The bus interface that both implementations honour, and nothing else: the factory that
picks one lives beside the runtime (``shared/buses.py``) and what their consumers share in
``consumer.py``, so that this module imports neither implementation and neither imports back.

Guarantees, the same on both: ``publish`` returns only when the records are durable; records
with the same key keep their order; consumers in one group share partitions and rebalance
when one joins or leaves; a consumer commits a record's offset only after its handler has
returned (at-least-once), so a consumer killed in between sees the record again elsewhere.
Records reach the handler in batches of one partition, so a consumer can handle many events
in one database transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Record:
    """One record as the bus delivers it: its bytes as published, and where it sits (so a
    record no consumer can read can still be parked and found again by its place)."""

    topic: str
    partition: int
    offset: int
    key: str
    value: bytes


# A consumer hands its handler the records of one partition in order, a batch at a time;
# the handler returns when every one of them is done (handled, skipped or parked) and raises
# when none should be taken as done: the batch then comes again, after a back-off.
Handler = Callable[[Sequence[Record]], None]


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

    def health(self) -> str | None:
        """None while this member consumes; otherwise why not, in Chinese (for /readyz)."""


class Bus(Protocol):
    def ensure_topics(self, topics: Sequence[str]) -> None: ...

    def publish(self, topic: str, envelopes: Sequence[Publishable]) -> None: ...

    def consumer(self, group: str, topics: Sequence[str], handler: Handler) -> BusConsumer: ...

    def ping(self) -> None:
        """Raise if the bus cannot be reached."""

    def close(self) -> None: ...
