"""One suite, two buses: the in-process bus and a real Apache Kafka broker must behave alike."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from helpers import BUS_PARTITIONS, Collector, as_records, wait_until
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, select

from shared.contracts import Envelope
from shared.contracts.tasks import TaskRegisteredV1
from shared.db import session_factory
from shared.messaging.bus import Bus
from shared.messaging.inbox import Subscriber
from shared.messaging.tables import add_messaging_tables


class Crashed(Exception):
    """What a handler raises in these tests after killing its own consumer: the rest of its
    batch is never handled, as when the process dies."""


def envelope(key: str, seq: int) -> Envelope:
    return Envelope(
        id=uuid.uuid4(),
        type="test.ping",
        version=1,
        occurred_at=datetime.now(UTC),
        source="test",
        key=key,
        data={"seq": seq},
    )


def all_partitions(topic: str) -> set[tuple[str, int]]:
    return {(topic, p) for p in range(BUS_PARTITIONS)}


def test_publish_then_consume_delivers_every_record_intact(bus: Bus, topic: str) -> None:
    sent = [envelope(f"k{i % 3}", i) for i in range(10)]
    bus.publish(topic, sent)
    collector = Collector()
    consumer = bus.consumer(f"{topic}.g", [topic], collector)
    consumer.start()
    try:
        collector.wait_for(10)
    finally:
        consumer.stop()
    assert sorted(collector.ids()) == sorted(str(e.id) for e in sent)
    by_id = {str(e.id): e for e in collector.received}
    assert all(by_id[str(e.id)] == e for e in sent)


def test_records_of_one_key_arrive_in_order(bus: Bus, topic: str) -> None:
    keys = [f"task-{n}" for n in range(6)]
    for batch in range(5):
        bus.publish(topic, [envelope(k, batch * 10 + i) for i in range(10) for k in keys])
    collector = Collector()
    consumer = bus.consumer(f"{topic}.g", [topic], collector)
    consumer.start()
    try:
        collector.wait_for(300)
    finally:
        consumer.stop()
    for key in keys:
        seqs = [e.data["seq"] for e in collector.received if e.key == key]
        assert seqs == list(range(50)), key


def test_two_consumers_in_a_group_share_partitions_and_rebalance(bus: Bus, topic: str) -> None:
    group = f"{topic}.g"
    first, second = Collector(), Collector()
    c1 = bus.consumer(group, [topic], first)
    c1.start()
    wait_until(lambda: c1.assigned_partitions() == all_partitions(topic), what="c1 owns all")
    c2 = bus.consumer(group, [topic], second)
    c2.start()
    try:
        wait_until(
            lambda: (
                c1.assigned_partitions()
                and c2.assigned_partitions()
                and c1.assigned_partitions() | c2.assigned_partitions() == all_partitions(topic)
                and not c1.assigned_partitions() & c2.assigned_partitions()
            ),
            what="partitions split between two members",
        )
        sent = [envelope(f"key-{i}", i) for i in range(40)]
        bus.publish(topic, sent)
        wait_until(
            lambda: set(first.ids()) | set(second.ids()) >= {str(e.id) for e in sent},
            what="all records consumed by the group",
        )
        assert first.ids() and second.ids(), "each member got a share"
        assert not set(first.ids()) & set(second.ids()), "no record went to both"
    finally:
        c2.stop()
    wait_until(lambda: c1.assigned_partitions() == all_partitions(topic), what="c1 takes all")
    later = [envelope(f"key-{i}", i) for i in range(20)]
    bus.publish(topic, later)
    try:
        wait_until(
            lambda: set(first.ids()) >= {str(e.id) for e in later},
            what="the survivor consumes the leaver's partitions",
        )
    finally:
        c1.stop()


def test_a_killed_consumer_s_uncommitted_record_is_redelivered(bus: Bus, topic: str) -> None:
    group = f"{topic}.g"
    sent = [envelope("one-key", i) for i in range(5)]
    bus.publish(topic, sent)
    holder: dict[str, object] = {}

    def crash_on_third(e: Envelope) -> None:
        if e.data["seq"] == 2:
            holder["c1"].kill()  # dies after handling, before committing
            raise Crashed

    doomed = Collector(on_each=crash_on_third)
    c1 = bus.consumer(group, [topic], doomed)
    holder["c1"] = c1
    c1.start()
    wait_until(lambda: len(doomed.ids()) >= 3, what="the doomed consumer handled three")
    c1.kill()
    assert [e.data["seq"] for e in doomed.received] == [0, 1, 2]
    survivor = Collector()
    c2 = bus.consumer(group, [topic], survivor)
    c2.start()
    try:
        survivor.wait_for(5)
    finally:
        c2.stop()
    assert str(sent[2].id) in survivor.ids(), "the record handled but not committed came again"
    assert [e.data["seq"] for e in survivor.received] == [0, 1, 2, 3, 4]


def test_a_redelivered_event_has_no_second_effect(bus: Bus, topic: str, tmp_path: Path) -> None:
    metadata = MetaData()
    add_messaging_tables(metadata)
    effect = Table(
        "effect", metadata, Column("id", Integer, primary_key=True), Column("task_id", String(80))
    )
    engine = create_engine(f"sqlite:///{tmp_path / 'consumer.db'}")
    metadata.create_all(engine)

    def record_effect(session, event) -> None:
        session.execute(effect.insert().values(task_id=event.task_id))

    inbox = Subscriber("test", session_factory(engine), {"task.registered": record_effect})
    deliveries: Counter[str] = Counter()

    def subscriber(e: Envelope) -> None:
        deliveries[str(e.id)] += 1
        inbox(as_records(e))

    events = [
        TaskRegisteredV1(task_id=f"T{i}", document_id="D", number=str(i), text="任务").envelope()
        for i in range(4)
    ]
    bus.publish(topic, events)
    bus.publish(topic, [events[1]])  # a duplicate publish, as after a relay crash
    raw = Collector(on_each=subscriber)
    holder: dict[str, object] = {}
    killed = threading.Event()

    def crash_once(e: Envelope) -> None:
        subscriber(e)
        if e.id == events[2].id and not killed.is_set():
            killed.set()
            holder["c1"].kill()
            raise Crashed

    c1 = bus.consumer(f"{topic}.g", [topic], Collector(on_each=crash_once))
    holder["c1"] = c1
    c1.start()
    wait_until(killed.is_set, what="the first consumer to crash")
    c1.kill()
    c2 = bus.consumer(f"{topic}.g", [topic], raw)
    c2.start()

    def effect_counts() -> dict[str, int]:
        with engine.connect() as conn:
            rows = conn.execute(select(effect.c.task_id, func.count()).group_by(effect.c.task_id))
            return {row[0]: row[1] for row in rows}

    try:
        wait_until(lambda: str(events[2].id) in raw.ids(), what="the crashed event again")
        wait_until(lambda: len(effect_counts()) == 4, what="every task's effect")
        wait_until(lambda: deliveries[str(events[1].id)] >= 2, what="the duplicate")
    finally:
        c2.stop()
    assert deliveries[str(events[2].id)] >= 2, "the crashed event was delivered again"
    assert effect_counts() == {"T0": 1, "T1": 1, "T2": 1, "T3": 1}
