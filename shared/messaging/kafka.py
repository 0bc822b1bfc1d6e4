"""The Kafka bus (kafka-python): the production backbone.

The producer waits for acks from all in-sync replicas and keys every record by its aggregate
id. Consumers never auto-commit: an offset is committed only after the handler (and so its
database transaction) has returned, so a crash in between means redelivery, which the inbox
turns into a no-op. How a consumer joins its group, and why it is careful about it, is in
docs/kafka.md.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import MemberState, OffsetAndMetadata, TopicPartition

from shared.messaging.bus import Handler, Publishable, Record
from shared.messaging.consumer import ConsumerThread, deliver

log = logging.getLogger(__name__)

# A member silent this long is dropped from its group, and a crashed member's partitions wait
# this long for a new owner. Heartbeats come from kafka-python's own IO thread, not from the
# poll loop, so a slow handler does not delay them; the 30 s this once was hid members that
# were not missing heartbeats at all but stuck in a join (see docs/kafka.md).
SESSION_TIMEOUT_MS = 10_000
HEARTBEAT_INTERVAL_MS = 1_000
# A member outside a stable generation this long is stuck, not rebalancing: it rejoins, and
# health() says so. A healthy rebalance waits at most a session timeout for a dead member.
STUCK_AFTER_S = 3 * SESSION_TIMEOUT_MS / 1000
# How often a member asks the coordinator whether its group left partitions without an owner.
GROUP_CHECK_S = SESSION_TIMEOUT_MS / 1000
# A failed offset commit is made again at most this often, once the group is stable.
COMMIT_RETRY_S = 1.0
# poll() returns after this long without records, to see a stop or run the watchdog. While
# the member is joining it waits longer: kafka-python applies a join's result only if a poll
# is waiting for it when the SyncGroup answer comes; one that finishes between two polls is
# thrown away and joined again (an extra rebalance when the leader does it).
POLL_TIMEOUT_MS = 200
JOIN_POLL_TIMEOUT_MS = 2_000
# /readyz must answer within 2 s when Kafka is down: probes connect and ask with this bound,
# and an answer is reused this long.
PROBE_TIMEOUT_MS = 1_500
PING_CACHE_S = 2.0

GroupDescriber = Callable[[str], dict[str, Any]]


class KafkaBus:
    def __init__(self, bootstrap: str, partitions: int = 6, replication: int = 1) -> None:
        self.bootstrap = bootstrap.split(",")
        self._partitions = partitions
        self._replication = replication
        self._producer: KafkaProducer | None = None
        self._producer_lock = threading.Lock()
        self._probe_client: KafkaAdminClient | None = None
        self._probe_lock = threading.Lock()
        self._ping_lock = threading.Lock()
        self._pinged_at = float("-inf")
        self._ping_error: Exception | None = None

    def _admin(self) -> KafkaAdminClient:
        return KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="duban-admin")

    def ensure_topics(self, topics: Sequence[str]) -> None:
        admin = self._admin()
        try:
            existing = set(admin.list_topics())
            missing = [t for t in topics if t not in existing]
            if not missing:
                return
            new = [NewTopic(t, self._partitions, self._replication) for t in missing]
            with contextlib.suppress(TopicAlreadyExistsError):  # another replica was first
                admin.create_topics(new, wait_for_metadata=True)
        finally:
            admin.close()

    def _get_producer(self) -> KafkaProducer:
        with self._producer_lock:
            if self._producer is None:
                self._producer = KafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=2,
                    client_id="duban-producer",
                )
            return self._producer

    def publish(self, topic: str, envelopes: Sequence[Publishable]) -> None:
        producer = self._get_producer()
        futures = [producer.send(topic, key=e.key.encode(), value=e.to_bytes()) for e in envelopes]
        producer.flush()
        for future in futures:
            future.get(timeout=30)  # raises if the broker did not take the record

    def consumer(self, group: str, topics: Sequence[str], handler: Handler) -> KafkaBusConsumer:
        return KafkaBusConsumer(self.bootstrap, group, list(topics), handler, self.describe_group)

    def _probe(self, ask: Callable[[KafkaAdminClient], Any]) -> Any:
        """Ask one long-lived admin client with short timeouts, so neither /readyz nor a
        consumer's group check makes a new connection per question or waits 30 s for a broker
        that is down. A client that failed is dropped: the next question connects afresh."""
        with self._probe_lock:
            if self._probe_client is None:
                self._probe_client = KafkaAdminClient(
                    bootstrap_servers=self.bootstrap,
                    client_id="duban-probe",
                    request_timeout_ms=PROBE_TIMEOUT_MS,
                    bootstrap_timeout_ms=PROBE_TIMEOUT_MS,
                )
            client = self._probe_client
        try:
            return ask(client)
        except Exception:
            with self._probe_lock:
                if self._probe_client is client:
                    self._probe_client = None
            client.close()
            raise

    def describe_group(self, group: str) -> dict[str, Any]:
        """The coordinator's view of a consumer group: its state, members and their
        assignments (kafka-python's ``describe_groups`` entry)."""
        return self._probe(lambda admin: admin.describe_groups([group]))[group]

    def ping(self) -> None:
        """Raise if the bus cannot be reached; bounded by ``PROBE_TIMEOUT_MS`` and answered
        from the last probe for ``PING_CACHE_S``, so a burst of /readyz calls asks once."""
        with self._ping_lock:
            if time.monotonic() - self._pinged_at >= PING_CACHE_S:
                try:
                    self._probe(lambda admin: admin.list_topics())
                    self._ping_error = None
                except Exception as exc:
                    self._ping_error = exc
                self._pinged_at = time.monotonic()
            if self._ping_error is not None:
                raise self._ping_error.with_traceback(None)

    def close(self) -> None:
        with self._producer_lock:
            if self._producer is not None:
                self._producer.close(timeout=10)
                self._producer = None
        with self._probe_lock:
            if self._probe_client is not None:
                self._probe_client.close()
                self._probe_client = None


class _Ownership(ConsumerRebalanceListener):
    """The partitions this member owns, kept by kafka-python as it assigns and revokes them
    (on its IO thread, so they are right while a poll still waits)."""

    def __init__(self) -> None:
        self.partitions: frozenset[tuple[str, int]] = frozenset()

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.partitions -= {(tp.topic, tp.partition) for tp in revoked}

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.partitions |= {(tp.topic, tp.partition) for tp in assigned}


class KafkaBusConsumer(ConsumerThread):
    """One group member on its own thread, with a watchdog that rejoins when the member is
    stuck outside a stable generation or the group leaves partitions without an owner."""

    def __init__(
        self,
        bootstrap: list[str],
        group: str,
        topics: list[str],
        handler: Handler,
        describe_group: GroupDescriber,
    ) -> None:
        super().__init__(f"kafka-{group}", handler)
        self._bootstrap = bootstrap
        self._group = group
        self._topics = topics
        self._describe_group = describe_group
        self._consumer: KafkaConsumer | None = None
        self._ownership = _Ownership()
        # Last time this member was seen in a stable generation (or started): health() and
        # the watchdog measure how long it has been without partitions from here.
        self._stable_at = 0.0
        self._orphans_seen = False
        self._next_group_check = 0.0
        # Offsets whose commit failed, made again once the group is stable (_retry_commits).
        self._uncommitted: dict[TopicPartition, OffsetAndMetadata] = {}
        self._retry_at = 0.0

    def assigned_partitions(self) -> set[tuple[str, int]]:
        return set(self._ownership.partitions)

    def health(self) -> str | None:
        """None while this member consumes, else why it does not (Chinese, for /readyz).

        Not consuming means: the thread is not running (not started, stopped, crashed), or
        the member has been outside a stable generation for more than ``STUCK_AFTER_S``
        (joining, rebalancing, evicted), or the coordinator showed partitions of its topics
        without an owner. A short rebalance is healthy: every member goes through one when a
        replica starts or stops, and /readyz must not drop them all at once."""
        if not self._thread.is_alive():
            return f"消费组 {self._group} 的消费线程未运行"
        consumer = self._consumer
        stable = consumer is not None and consumer.group_metadata().state == MemberState.STABLE
        idle = time.monotonic() - self._stable_at
        if not stable and idle > STUCK_AFTER_S:
            return f"消费组 {self._group} 的成员已 {idle:.0f} 秒未取得分区，正在重新加入"
        if self._orphans_seen:
            return f"消费组 {self._group} 有分区无人消费，正在重新加入"
        return None

    def _run(self) -> None:
        self._stable_at = time.monotonic()
        while not self._stopping.is_set():
            try:
                consumer = self._connect()
            except KafkaError as exc:
                log.warning("kafka consumer %s could not join: %s; retrying", self._group, exc)
                self._stopping.wait(1.0)
                continue
            self._consumer = consumer
            try:
                self._consume_until_rejoin(consumer)
            except KafkaError as exc:
                log.warning("kafka consumer %s failed: %s; rejoining", self._group, exc)
                self._stopping.wait(1.0)
            finally:
                self._ownership.partitions = frozenset()  # a kill revokes nothing itself
                self._orphans_seen = False
                self._close(consumer)

    def _connect(self) -> KafkaConsumer:
        # A KafkaConsumer is not thread-safe: it is made, used and closed on this thread.
        consumer = KafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self._group,
            client_id=f"{self._group}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=200,
            session_timeout_ms=SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
            # Partitions added later are seen within seconds, not the default 5 minutes.
            metadata_max_age_ms=5_000,
        )
        try:
            consumer.subscribe(self._topics, listener=self._ownership)
            self._await_topics(consumer)
        except BaseException:
            consumer.close(autocommit=False)
            raise
        return consumer

    def _await_topics(self, consumer: KafkaConsumer) -> None:
        """Join only after a metadata answer, received since ``subscribe``, lists every
        partition of our topics: this is what makes a start join once.

        kafka-python 3.0.12's coordinator keeps a snapshot of the subscribed topics'
        partitions, built when the consumer is made (empty: nothing is subscribed yet) and
        rebuilt only by a metadata answer that arrives after ``subscribe``. The first join
        usually completes before that answer, so the leader records the empty snapshot as
        the one it assigned with; when the answer comes the snapshots differ, and
        ``need_rejoin()`` asks for a second join. That second join is the one that can be
        lost: the join runs as a task on kafka-python's IO thread, and ``poll()`` only
        collects its result while ``need_rejoin()`` is true; the leader's own assignment step
        in that task makes the snapshots equal again, so if the SyncGroup answer comes after
        ``poll(timeout_ms)`` gave up, no later poll collects it and the member stays
        "rebalancing" for good (docs/kafka.md has the lines). ``topics()`` makes the metadata
        round trip; its answer reaches the coordinator before any JoinGroup is sent."""
        while not self._stopping.is_set():
            consumer.topics()
            if all(consumer.partitions_for_topic(topic) for topic in self._topics):
                return
            self._stopping.wait(0.2)

    def _consume_until_rejoin(self, consumer: KafkaConsumer) -> None:
        """Poll and hand records over until stopping, or until the watchdog wants a new
        member in place of this one."""
        made_at = time.monotonic()
        stable = False
        while not self._stopping.is_set():
            batch = consumer.poll(timeout_ms=POLL_TIMEOUT_MS if stable else JOIN_POLL_TIMEOUT_MS)
            stable = consumer.group_metadata().state == MemberState.STABLE
            now = time.monotonic()
            if stable:
                self._stable_at = now
            self._retry_commits(consumer, stable)
            for tp, records in batch.items():
                self._consume(consumer, tp, records)
                if self._stopping.is_set():
                    break
            if not stable and now - max(self._stable_at, made_at) > STUCK_AFTER_S:
                log.warning(
                    "kafka consumer %s has had no stable generation for %.0f s; rejoining",
                    self._group,
                    now - self._stable_at,
                )
                return
            if stable and now >= self._next_group_check:
                self._next_group_check = now + GROUP_CHECK_S
                if self._orphans(consumer):
                    return
        if not self._killed:  # a last try before leaving the group
            self._retry_at = 0.0
            self._retry_commits(consumer, consumer.group_metadata().state == MemberState.STABLE)

    def _orphans(self, consumer: KafkaConsumer) -> bool:
        """True when the coordinator has shown partitions of our topics without an owner in
        a stable group twice in a row (once may be a rebalance about to happen): rejoining
        makes the leader assign again."""
        try:
            group = self._describe_group(self._group)
        except Exception as exc:  # a best-effort check: the next one may get through
            log.debug("could not describe group %s: %s", self._group, exc)
            return False
        owned: set[tuple[str, int]] = set()
        for member in group["members"]:
            assignment = member["member_assignment"]
            if isinstance(assignment, dict):
                for entry in assignment["assigned_partitions"]:
                    owned.update((entry["topic"], p) for p in entry["partitions"])
        wanted = {(t, p) for t in self._topics for p in consumer.partitions_for_topic(t)}
        orphans = wanted - owned if group["group_state"] == "Stable" else set()
        if orphans and self._orphans_seen:
            log.warning(
                "kafka consumer group %s leaves %s without an owner; rejoining",
                self._group,
                sorted(orphans),
            )
            return True
        self._orphans_seen = bool(orphans)
        return False

    def _close(self, consumer: KafkaConsumer) -> None:
        """Leave the group at once on a stop or a rejoin; on a kill, vanish as a crashed
        process does, so the group waits out the session timeout.

        kafka-python has no ``leave_group_on_close``; ``close()`` always sends LeaveGroup for
        a dynamic member. Closing only the network client drops the connections and the
        heartbeat with them, and nothing else is sent."""
        self._consumer = None
        if self._killed:
            consumer._client.close()
        else:
            consumer.close(autocommit=False)

    def _commit(
        self, consumer: KafkaConsumer, offsets: dict[TopicPartition, OffsetAndMetadata]
    ) -> None:
        try:
            consumer.commit(offsets)
        except KafkaError as exc:
            # Mostly a rebalance under way; _retry_commits makes it again once it is over.
            log.warning("offset commit failed for %s: %s; will retry", sorted(offsets), exc)
            self._uncommitted.update(offsets)
        else:
            for tp in offsets:
                self._uncommitted.pop(tp, None)

    def _retry_commits(self, consumer: KafkaConsumer, stable: bool) -> None:
        """Commit again what failed, once the group is stable, for the partitions this member
        still owns; otherwise a partition with no later records stays "behind" forever.

        A partition that moved is dropped: its new owner starts from the committed offset
        and the inbox absorbs the redelivery. A partition that moved and came back may have
        been consumed further meanwhile, so an offset is only made if it is ahead of the
        committed one (the current owner alone commits it, and that is us)."""
        if not self._uncommitted or not stable or time.monotonic() < self._retry_at:
            return
        self._retry_at = time.monotonic() + COMMIT_RETRY_S
        owned = consumer.assignment()
        due: dict[TopicPartition, OffsetAndMetadata] = {}
        for tp, offset in list(self._uncommitted.items()):
            if tp in owned:
                try:
                    committed = consumer.committed(tp, timeout_ms=PROBE_TIMEOUT_MS)
                except KafkaError as exc:
                    log.warning("could not read the committed offset of %s: %s", tp, exc)
                    return
                if committed is None or committed < offset.offset:
                    due[tp] = offset
                    continue
            del self._uncommitted[tp]
        if due:
            self._commit(consumer, due)

    def _consume(self, consumer: KafkaConsumer, tp: TopicPartition, records: list) -> None:
        batch = [Record(r.topic, r.partition, r.offset, _key(r.key), r.value) for r in records]
        if not deliver(batch, self._handler, self._stopping):
            consumer.seek(tp, records[0].offset)  # not done: read it again next poll
            return
        if self._killed:
            return  # crashed after the handler and before the commit
        self._commit(consumer, {tp: OffsetAndMetadata(records[-1].offset + 1, "", -1)})


def _key(raw: bytes | None) -> str:
    return raw.decode("utf-8", "replace") if raw else ""
