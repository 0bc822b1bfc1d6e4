"""Kafka consumer groups on a real broker: every start takes all partitions, a crashed
member's partitions move within the session timeout and a stopped member's at once, a failed
offset commit is made again, a stuck member rejoins, and ping answers fast when Kafka is down.
bench/consumer_starts.py runs the starts 50 times under CPU load."""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from helpers import Collector, wait_until
from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient
from kafka.coordinator.base import BaseCoordinator
from kafka.errors import KafkaError, RebalanceInProgressError

from shared.contracts import Envelope
from shared.messaging import kafka as kafka_bus
from shared.messaging.kafka import SESSION_TIMEOUT_MS, KafkaBus, KafkaBusConsumer

PARTITIONS = 6
SESSION_S = SESSION_TIMEOUT_MS / 1000


@pytest.fixture
def bus(kafka_bootstrap: str) -> Iterator[KafkaBus]:
    instance = KafkaBus(kafka_bootstrap, partitions=PARTITIONS)
    yield instance
    instance.close()


@pytest.fixture
def topic(bus: KafkaBus, topic_prefix: str) -> str:
    name = f"{topic_prefix}.group"
    bus.ensure_topics([name])
    return name


def envelope(key: str) -> Envelope:
    return Envelope(
        id=uuid.uuid4(),
        type="test.ping",
        version=1,
        occurred_at=datetime.now(UTC),
        source="test",
        key=key,
        data={},
    )


def split_between(first: KafkaBusConsumer, second: KafkaBusConsumer, topic: str) -> bool:
    a, b = first.assigned_partitions(), second.assigned_partitions()
    return bool(a and b and not a & b and a | b == {(topic, p) for p in range(PARTITIONS)})


def owns_all(member: KafkaBusConsumer, topic: str) -> bool:
    return member.assigned_partitions() == {(topic, p) for p in range(PARTITIONS)}


def test_every_start_of_a_group_of_two_takes_all_partitions(bus: KafkaBus, topic: str) -> None:
    group = f"{topic}.g"
    for start in range(5):
        first = bus.consumer(group, [topic], Collector())
        second = bus.consumer(group, [topic], Collector())
        began = time.monotonic()
        first.start()
        time.sleep(0.1 * start)  # replicas come up together or a little apart
        second.start()
        try:
            wait_until(
                lambda a=first, b=second: split_between(a, b, topic),
                timeout=SESSION_S,
                what=f"start {start}: both members share all partitions",
            )
            assert first.health() is None and second.health() is None
        finally:
            first.stop()
            second.stop()
        assert time.monotonic() - began < SESSION_S + 5


def test_a_crashed_member_s_partitions_move_within_the_session_timeout(
    bus: KafkaBus, topic: str
) -> None:
    group = f"{topic}.g"
    survivor = bus.consumer(group, [topic], Collector())
    crashed = bus.consumer(group, [topic], Collector())
    survivor.start()
    try:
        crashed.start()
        wait_until(lambda: split_between(survivor, crashed, topic), what="a shared group")
        killed_at = time.monotonic()
        crashed.kill()
        wait_until(lambda: owns_all(survivor, topic), timeout=SESSION_S + 5, what="takeover")
        took = time.monotonic() - killed_at
    finally:
        survivor.stop()
    # A kill sends no LeaveGroup: the group waits for the session to lapse, then moves on.
    assert SESSION_S / 2 < took < SESSION_S + 5, took


def test_a_stopped_member_s_partitions_move_at_once(bus: KafkaBus, topic: str) -> None:
    group = f"{topic}.g"
    survivor = bus.consumer(group, [topic], Collector())
    leaver = bus.consumer(group, [topic], Collector())
    survivor.start()
    try:
        leaver.start()
        wait_until(lambda: split_between(survivor, leaver, topic), what="a shared group")
        stopped_at = time.monotonic()
        leaver.stop()
        wait_until(lambda: owns_all(survivor, topic), timeout=5, what="takeover")
        assert time.monotonic() - stopped_at < 5
        assert leaver.health() is not None, "a stopped member does not consume"
    finally:
        survivor.stop()


def committed_offsets(bootstrap: str, group: str) -> dict[int, int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="test-admin")
    try:
        offsets = admin.list_group_offsets(group).get(group, {})
    finally:
        admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items()}


def test_a_commit_that_failed_in_a_rebalance_is_made_again(
    bus: KafkaBus, topic: str, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one commit of the batch fails as it did in the incident; no later record comes to
    that partition, yet its committed offset reaches the end, and nothing is read twice."""
    group = f"{topic}.g"
    real_commit = KafkaConsumer.commit
    failed: list[object] = []

    def fails_once(self: KafkaConsumer, offsets: Any = None, timeout_ms: Any = None) -> None:
        if not failed:
            failed.append(offsets)
            raise RebalanceInProgressError("the group is rebalancing (test)")
        real_commit(self, offsets, timeout_ms)

    monkeypatch.setattr(KafkaConsumer, "commit", fails_once)
    bus.publish(topic, [envelope("one-key") for _ in range(3)])
    collector = Collector()
    member = bus.consumer(group, [topic], collector)
    member.start()
    try:
        collector.wait_for(3)
        wait_until(
            lambda: 3 in committed_offsets(kafka_bootstrap, group).values(),
            timeout=10,
            what="the failed commit made again",
        )
    finally:
        member.stop()
    assert failed, "the first commit was made to fail"
    assert len(collector.ids()) == 3, "nothing was redelivered"


def test_a_member_whose_join_was_lost_rejoins_and_says_so(
    bus: KafkaBus,
    topic: str,
    kafka_bootstrap: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The defect itself, made certain: each join's result comes 0.5 s after its SyncGroup
    answer (an IO thread behind under load), longer than a steady poll waits, and partitions
    are added, which makes the leader join again by its metadata snapshot. kafka-python loses
    that join: the member stays "rebalancing" for good. The watchdog replaces it, and health()
    says so meanwhile."""
    monkeypatch.setattr(kafka_bus, "STUCK_AFTER_S", 2.0)
    join_and_sync = BaseCoordinator._do_join_and_sync_async

    async def late(self: BaseCoordinator) -> Any:
        assignment = await join_and_sync(self)
        await self._manager._net.sleep(0.5)
        return assignment

    monkeypatch.setattr(BaseCoordinator, "_do_join_and_sync_async", late)
    member = bus.consumer(f"{topic}.g", [topic], Collector())
    caplog.set_level(logging.WARNING, logger="shared.messaging.kafka")
    member.start()
    try:
        wait_until(lambda: owns_all(member, topic), what="the first join")
        admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="test-admin")
        try:
            admin.create_partitions({topic: PARTITIONS + 2})
        finally:
            admin.close()
        wait_until(lambda: member.health() is not None, timeout=15, what="reported stuck")
        assert "未取得分区" in (member.health() or "")
        wait_until(lambda: "no stable generation" in caplog.text, timeout=10, what="a rejoin")
        every = {(topic, p) for p in range(PARTITIONS + 2)}
        wait_until(
            lambda: member.health() is None and member.assigned_partitions() == every,
            what="all partitions, new ones too",
        )
    finally:
        member.stop()


def test_partitions_left_without_an_owner_make_a_member_rejoin(
    bus: KafkaBus, topic: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The coordinator shows a stable group whose members own nothing (a leader that
    assigned from stale metadata): after two checks in a row the member rejoins."""
    monkeypatch.setattr(kafka_bus, "GROUP_CHECK_S", 0.3)
    real_describe = bus.describe_group
    orphaned = threading.Event()
    orphaned.set()

    def describe(group: str) -> dict[str, Any]:
        if orphaned.is_set():
            member = {"member_assignment": {"assigned_partitions": []}}
            return {"group_state": "Stable", "members": [member]}
        return real_describe(group)

    monkeypatch.setattr(bus, "describe_group", describe)
    member = bus.consumer(f"{topic}.g", [topic], Collector())
    caplog.set_level(logging.WARNING, logger="shared.messaging.kafka")
    member.start()
    try:
        wait_until(lambda: "without an owner" in caplog.text, timeout=10, what="a rejoin")
        orphaned.clear()
        wait_until(lambda: member.health() is None and owns_all(member, topic), what="back")
    finally:
        member.stop()


def test_ping_answers_within_two_seconds_when_kafka_is_down() -> None:
    """Nothing listening, and a listener that never answers: both fail fast, and a second
    ping right after is answered from the first."""
    silent = socket.create_server(("127.0.0.1", 0))
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    try:
        for address in (f"127.0.0.1:{closed_port}", f"127.0.0.1:{silent.getsockname()[1]}"):
            down = KafkaBus(address)
            began = time.monotonic()
            with pytest.raises(KafkaError):
                down.ping()
            assert time.monotonic() - began < 2.0, address
            began = time.monotonic()
            with pytest.raises(KafkaError):
                down.ping()
            assert time.monotonic() - began < 0.1, "answered from the last probe"
            down.close()
    finally:
        silent.close()
