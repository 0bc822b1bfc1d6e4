"""The in-process bus: the embedded default, with Kafka's guarantees and no broker.

Records live in a SQLite file (``bus.db`` under the data directory), one ordered log per
(topic, partition), and each consumer group's committed offsets beside them, so nothing is
lost across a restart. Consumer groups live in the process: members split the partitions
between them and a partition moves only when its previous owner has let go of it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import zlib
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from shared.messaging.bus import Handler, Publishable, Record
from shared.messaging.consumer import ConsumerThread, deliver

log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS topic (name TEXT PRIMARY KEY, partitions INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS record (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, "offset" INTEGER NOT NULL,
    key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (topic, partition, "offset")) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS committed (
    grp TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (grp, topic, partition)) WITHOUT ROWID;
"""

FETCH_SIZE = 200


class MemoryBus:
    def __init__(self, path: Path | str, partitions: int = 4) -> None:
        self._default_partitions = partitions
        self._lock = threading.Lock()
        self._arrived = threading.Condition()
        self._publications = 0  # bumped on every publish; guards against lost wake-ups
        self._groups: dict[str, _Group] = {}
        self._groups_lock = threading.Lock()
        self._partitions: dict[str, int] = {}
        self._conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    # -- topics -------------------------------------------------------------
    def ensure_topics(self, topics: Sequence[str]) -> None:
        for topic in topics:
            self.partition_count(topic)

    def partition_count(self, topic: str) -> int:
        if topic in self._partitions:
            return self._partitions[topic]
        with self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO topic (name, partitions) VALUES (?, ?)",
                (topic, self._default_partitions),
            )
            (count,) = self._conn.execute(
                "SELECT partitions FROM topic WHERE name = ?", (topic,)
            ).fetchone()
        self._partitions[topic] = count
        return count

    # -- producing ----------------------------------------------------------
    def publish(self, topic: str, envelopes: Sequence[Publishable]) -> None:
        if not envelopes:
            return
        count = self.partition_count(topic)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                next_offsets: dict[int, int] = {}
                for envelope in envelopes:
                    partition = zlib.crc32(envelope.key.encode()) % count
                    if partition not in next_offsets:
                        next_offsets[partition] = self._next_offset(topic, partition)
                    self._conn.execute(
                        'INSERT INTO record (topic, partition, "offset", key, value) '
                        "VALUES (?, ?, ?, ?, ?)",
                        (
                            topic,
                            partition,
                            next_offsets[partition],
                            envelope.key,
                            envelope.to_bytes(),
                        ),
                    )
                    next_offsets[partition] += 1
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        with self._arrived:
            self._publications += 1
            self._arrived.notify_all()

    def _next_offset(self, topic: str, partition: int) -> int:
        row = self._conn.execute(
            'SELECT MAX("offset") FROM record WHERE topic = ? AND partition = ?',
            (topic, partition),
        ).fetchone()
        return 0 if row[0] is None else row[0] + 1

    # -- consuming ----------------------------------------------------------
    def consumer(self, group: str, topics: Sequence[str], handler: Handler) -> MemoryConsumer:
        self.ensure_topics(topics)
        with self._groups_lock:
            grp = self._groups.setdefault(group, _Group(group, self))
        return MemoryConsumer(self, grp, list(topics), handler)

    def fetch(self, tp: TopicPartition, start: int) -> list[Record]:
        with self._lock:
            rows = self._conn.execute(
                'SELECT "offset", key, value FROM record WHERE topic = ? AND partition = ? '
                'AND "offset" >= ? ORDER BY "offset" LIMIT ?',
                (tp[0], tp[1], start, FETCH_SIZE),
            ).fetchall()
        return [Record(tp[0], tp[1], offset, key, value) for offset, key, value in rows]

    def committed(self, group: str, tp: TopicPartition) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT next_offset FROM committed WHERE grp = ? AND topic = ? AND partition = ?",
                (group, tp[0], tp[1]),
            ).fetchone()
        return 0 if row is None else row[0]

    def commit(self, group: str, tp: TopicPartition, next_offset: int) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO committed (grp, topic, partition, next_offset) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (grp, topic, partition) "
                "DO UPDATE SET next_offset = excluded.next_offset",
                (group, tp[0], tp[1], next_offset),
            )

    def publications(self) -> int:
        with self._arrived:
            return self._publications

    def wait_for_records(self, seen: int, timeout: float) -> None:
        """Sleep until something is published after ``seen`` (another process's records
        are found by the timeout)."""
        with self._arrived:
            self._arrived.wait_for(lambda: self._publications != seen, timeout)

    def ping(self) -> None:
        with self._lock:
            self._conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._groups_lock:
            members = [m for g in self._groups.values() for m in list(g.members)]
        for member in members:
            member.stop()
        with self._lock:
            self._conn.close()


class _Group:
    """Membership and partition ownership of one consumer group."""

    def __init__(self, name: str, bus: MemoryBus) -> None:
        self.name = name
        self.bus = bus
        self.members: list[MemoryConsumer] = []
        self._owner: dict[TopicPartition, MemoryConsumer] = {}
        self._mutex = threading.Lock()
        self._partition_locks: dict[TopicPartition, threading.Lock] = defaultdict(threading.Lock)

    def join(self, member: MemoryConsumer) -> None:
        with self._mutex:
            self.members.append(member)
            self._rebalance()

    def leave(self, member: MemoryConsumer) -> None:
        with self._mutex:
            if member in self.members:
                self.members.remove(member)
            self._rebalance()

    def _rebalance(self) -> None:
        owner: dict[TopicPartition, MemoryConsumer] = {}
        topics = sorted({t for m in self.members for t in m.topics})
        for topic in topics:
            candidates = [m for m in self.members if topic in m.topics]
            for partition in range(self.bus.partition_count(topic)):
                owner[(topic, partition)] = candidates[partition % len(candidates)]
        self._owner = owner

    def partitions_of(self, member: MemoryConsumer) -> list[TopicPartition]:
        with self._mutex:
            return [tp for tp, m in self._owner.items() if m is member]

    def owns(self, member: MemoryConsumer, tp: TopicPartition) -> bool:
        with self._mutex:
            return self._owner.get(tp) is member

    def partition_lock(self, tp: TopicPartition) -> threading.Lock:
        with self._mutex:
            return self._partition_locks[tp]


class MemoryConsumer(ConsumerThread):
    def __init__(self, bus: MemoryBus, group: _Group, topics: list[str], handler: Handler) -> None:
        super().__init__(f"bus-{group.name}", handler)
        self.topics = topics
        self._bus = bus
        self._group = group

    def start(self) -> None:
        self._group.join(self)  # joined before start() returns: assignment is visible at once
        super().start()

    def assigned_partitions(self) -> set[TopicPartition]:
        return set(self._group.partitions_of(self))

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                progressed = False
                seen = self._bus.publications()
                for tp in self._group.partitions_of(self):
                    if self._stopping.is_set():
                        break
                    progressed = self._consume_partition(tp) or progressed
                if not progressed:
                    self._bus.wait_for_records(seen, 0.2)
        finally:
            self._group.leave(self)

    def _consume_partition(self, tp: TopicPartition) -> bool:
        with self._group.partition_lock(tp):
            if not self._group.owns(self, tp):
                return False
            start = self._bus.committed(self._group.name, tp)
            records = self._bus.fetch(tp, start)
            if not records or not deliver(records, self._handler, self._stopping):
                return False
            if self._killed:
                return True  # crashed after the handler and before the commit
            self._bus.commit(self._group.name, tp, records[-1].offset + 1)
            return True
