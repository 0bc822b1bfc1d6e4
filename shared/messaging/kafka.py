"""The Kafka bus (kafka-python): the production backbone.

The producer waits for acks from all in-sync replicas and keys every record by its aggregate
id. Consumers never auto-commit: an offset is committed only after the handler (and so its
database transaction) has returned, so a crash in between means redelivery, which the inbox
turns into a no-op.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import CommitFailedError, KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata, TopicPartition

from shared.messaging.bus import Handler, Publishable, Record
from shared.messaging.consumer import ConsumerThread, deliver

log = logging.getLogger(__name__)


class KafkaBus:
    def __init__(self, bootstrap: str, partitions: int = 6, replication: int = 1) -> None:
        self.bootstrap = bootstrap.split(",")
        self._partitions = partitions
        self._replication = replication
        self._producer: KafkaProducer | None = None
        self._producer_lock = threading.Lock()

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
        return KafkaBusConsumer(self.bootstrap, group, list(topics), handler)

    def ping(self) -> None:
        admin = self._admin()
        try:
            admin.list_topics()
        finally:
            admin.close()

    def close(self) -> None:
        with self._producer_lock:
            if self._producer is not None:
                self._producer.close(timeout=10)
                self._producer = None


class KafkaBusConsumer(ConsumerThread):
    def __init__(self, bootstrap: list[str], group: str, topics: list[str], handler: Handler):
        super().__init__(f"kafka-{group}", handler)
        self._bootstrap = bootstrap
        self._group = group
        self._topics = topics
        self._assigned: set[tuple[str, int]] = set()

    def assigned_partitions(self) -> set[tuple[str, int]]:
        return set(self._assigned)

    def _run(self) -> None:
        # A KafkaConsumer is not thread-safe: it is made, used and closed on this thread.
        consumer = KafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self._group,
            client_id=f"{self._group}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=200,
            # A member silent this long is dropped from its group. Ten seconds (the client's
            # default) was reached on a loaded 2-core machine: the group then rebalanced in
            # the middle of a test. Kafka's own default is 45 s; a crashed consumer's
            # partitions wait at most this long for a new owner.
            session_timeout_ms=30_000,
            heartbeat_interval_ms=3_000,
            # Partitions added later are seen within seconds, not the default 5 minutes.
            metadata_max_age_ms=5_000,
        )
        try:
            self._await_topics(consumer)
            consumer.subscribe(self._topics)
            while not self._stopping.is_set():
                batch = consumer.poll(timeout_ms=200)
                self._assigned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
                for tp, records in batch.items():
                    self._consume(consumer, tp, records)
                    if self._stopping.is_set():
                        break
        finally:
            self._assigned = set()
            consumer.close(autocommit=False)

    def _await_topics(self, consumer: KafkaConsumer) -> None:
        """Join the group only once our metadata lists every partition of our topics.

        Joining earlier gets an empty assignment, then a second rebalance when the metadata
        catches up; under load kafka-python 3.0.12 was seen to drop the assignment of that
        second round (the SyncGroup answer arrived, the partitions were never taken up) and
        the consumer sat idle until it was restarted."""
        while not self._stopping.is_set():
            if all(consumer.partitions_for_topic(topic) for topic in self._topics):
                return
            self._stopping.wait(0.2)

    def _consume(self, consumer: KafkaConsumer, tp: TopicPartition, records: list) -> None:
        batch = [Record(r.topic, r.partition, r.offset, _key(r.key), r.value) for r in records]
        if not deliver(batch, self._handler, self._stopping):
            consumer.seek(tp, records[0].offset)  # not done: read it again next poll
            return
        if self._killed:
            return  # crashed after the handler and before the commit
        next_offset = records[-1].offset + 1
        try:
            consumer.commit({tp: OffsetAndMetadata(next_offset, "", -1)})
        except (CommitFailedError, KafkaError) as exc:
            # The partition moved during a rebalance; its new owner redelivers, inbox dedups.
            log.warning("offset commit failed for %s: %s", tp, exc)


def _key(raw: bytes | None) -> str:
    return raw.decode("utf-8", "replace") if raw else ""
