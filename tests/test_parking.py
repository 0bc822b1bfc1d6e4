"""A poison event is parked, never retried forever: the rest of its partition flows, the
events of its key wait behind it in order, and an operator retries or discards it. On the
in-process bus and on Kafka (the ``bus`` fixture), with a real consumer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import wait_until
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from shared.contracts import Envelope
from shared.contracts.tasks import TaskRegisteredV1
from shared.db import session_factory
from shared.messaging.bus import Bus, Record
from shared.messaging.inbox import NotParked, ParkedError, Subscriber
from shared.messaging.tables import INBOX, PARKED, add_messaging_tables


class World:
    """A consuming service with one table: every handled event appends its (key, seq)."""

    def __init__(self, url: str) -> None:
        metadata = MetaData()
        add_messaging_tables(metadata)
        self.effect = Table(
            "effect",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("task_id", String(80)),
            Column("seq", Integer),
        )
        self.engine = create_engine(url)
        metadata.create_all(self.engine)
        self.failures: dict[str, Exception] = {}  # task id → what its handler raises
        self.calls: dict[str, int] = {}
        self.subscriber = Subscriber(
            "test", session_factory(self.engine), {"task.registered": self.handle}
        )

    def handle(self, session: Session, event: Any) -> None:
        self.calls[event.task_id] = self.calls.get(event.task_id, 0) + 1
        failure = self.failures.get(event.task_id)
        if failure is not None:
            raise failure
        session.execute(self.effect.insert().values(task_id=event.task_id, seq=int(event.number)))

    def handled(self) -> list[tuple[str, int]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(self.effect.c.task_id, self.effect.c.seq).order_by("id"))
            return [tuple(row) for row in rows]  # type: ignore[misc]

    def parked(self) -> dict[str, tuple[str, str]]:
        """Live parked events: event id → (key, reason)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(PARKED.c.event_id, PARKED.c.key, PARKED.c.reason).where(
                    PARKED.c.discarded_at.is_(None)
                )
            )
            return {row.event_id: (row.key, row.reason) for row in rows}


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The consuming service's database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'consumer.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    instance = World(url)
    yield instance
    instance.engine.dispose()


@dataclass(frozen=True)
class Raw:
    """A record as someone else's producer might publish it: any bytes."""

    key: str
    payload: bytes

    def to_bytes(self) -> bytes:
        return self.payload


def registered(task_id: str, seq: int) -> Envelope:
    return TaskRegisteredV1(
        task_id=task_id, document_id="D", number=str(seq), text="任务"
    ).envelope()


def consume(bus: Bus, topic: str, world: World) -> Any:
    consumer = bus.consumer(f"{topic}.g", [topic], world.subscriber)
    consumer.start()
    return consumer


def test_a_poison_event_is_parked_its_key_waits_and_other_keys_flow(
    bus: Bus, topic: str, world: World
) -> None:
    world.failures["bad"] = ValueError("无法保存：字段超长")
    bad1, bad2 = registered("bad", 1), registered("bad", 2)
    others = [registered(f"ok{n}", n) for n in range(20)]
    # the poison first: the good events of its partition sit behind it
    bus.publish(topic, [bad1, bad2])
    bus.publish(topic, others)
    consumer = consume(bus, topic, world)
    try:
        wait_until(lambda: len(world.handled()) == 20, timeout=20, what="every other key handled")
        wait_until(lambda: len(world.parked()) == 2, timeout=10, what="both bad events parked")
    finally:
        consumer.stop()
    assert world.parked() == {str(bad1.id): ("bad", "failed"), str(bad2.id): ("bad", "waiting")}
    assert world.calls["bad"] == 2, "in its batch, then alone: a permanent failure is not retried"

    with pytest.raises(ParkedError, match="排在"):
        world.subscriber.retry(str(bad2.id))  # it waits behind bad1
    still = world.subscriber.retry(str(bad1.id))
    assert [(r.event_id, r.handled) for r in still] == [(str(bad1.id), False)]
    assert world.parked()[str(bad2.id)] == ("bad", "waiting"), "still behind the failed one"

    del world.failures["bad"]  # the cause is fixed: both go through, in order
    released = world.subscriber.retry(str(bad1.id))
    assert [(r.event_id, r.handled) for r in released] == [
        (str(bad1.id), True),
        (str(bad2.id), True),
    ]
    assert [h for h in world.handled() if h[0] == "bad"] == [("bad", 1), ("bad", 2)]
    assert world.parked() == {}


def test_discarding_a_parked_event_releases_those_waiting_behind_it(
    bus: Bus, topic: str, world: World
) -> None:
    world.failures["bad"] = ValueError("坏事件")
    poison, follower = registered("bad", 1), registered("bad", 2)
    bus.publish(topic, [poison, follower, registered("ok", 3)])
    consumer = consume(bus, topic, world)
    try:
        wait_until(lambda: len(world.parked()) == 2, timeout=20, what="both parked")
        wait_until(lambda: world.handled() == [("ok", 3)], timeout=10, what="the good one")
        world.failures.pop("bad")
        released = world.subscriber.discard(str(poison.id), actor="值班员")
        assert [(r.event_id, r.handled) for r in released] == [(str(follower.id), True)]
        # later events of the key flow again, and the discarded one is never handled
        bus.publish(topic, [registered("bad", 4), poison])
        wait_until(lambda: ("bad", 4) in world.handled(), timeout=20, what="the key flows")
    finally:
        consumer.stop()
    assert [h for h in world.handled() if h[0] == "bad"] == [("bad", 2), ("bad", 4)]
    with world.engine.connect() as conn:
        row = conn.execute(select(PARKED).where(PARKED.c.event_id == str(poison.id))).one()
    assert row.discarded_by == "值班员" and row.discarded_at is not None
    with pytest.raises(NotParked):
        world.subscriber.discard(str(poison.id), actor="值班员")


def test_unreadable_records_and_broken_contracts_are_parked_not_skipped(
    bus: Bus, topic: str, world: World
) -> None:
    broken = registered("k1", 1).model_copy(update={"data": {"task_id": "k1"}})  # fields missing
    bus.publish(topic, [Raw("k0", b"not json at all")])
    bus.publish(topic, [broken, registered("k2", 2)])
    consumer = consume(bus, topic, world)
    try:
        wait_until(lambda: len(world.parked()) == 2, timeout=20, what="two parked")
        wait_until(lambda: world.handled() == [("k2", 2)], timeout=10, what="the good one")
    finally:
        consumer.stop()
    reasons = world.parked()
    assert reasons[str(broken.id)] == ("k1", "failed")
    (garbage,) = [event_id for event_id in reasons if event_id != str(broken.id)]
    assert garbage.startswith(f"{topic}/"), "an unreadable record is parked by its place"
    with world.engine.connect() as conn:
        errors = dict(conn.execute(select(PARKED.c.event_id, PARKED.c.error)).all())
    assert "不是有效的事件信封" in errors[garbage]
    assert "不符合契约" in errors[str(broken.id)]


def test_a_passing_failure_is_retried_in_place_and_a_bug_is_parked_after_three_tries(
    world: World,
) -> None:
    world.failures["flaky"] = OperationalError("SELECT 1", {}, Exception("server closed"))
    world.failures["bug"] = RuntimeError("handler bug")
    records = [
        Record("t", 0, n, e.key, e.to_bytes())
        for n, e in enumerate([registered("bug", 1), registered("flaky", 2), registered("x", 3)])
    ]
    with pytest.raises(OperationalError):
        world.subscriber(records)  # the database is away: the batch is raised, not parked
    assert world.parked() == {str(Envelope.from_bytes(records[0].value).id): ("bug", "failed")}
    assert world.calls["bug"] == 1 + 3, "in its batch, then three times alone before parking"
    world.failures.pop("flaky")
    world.subscriber(records)  # the bus brings the batch again once the database is back
    assert world.handled() == [("flaky", 2), ("x", 3)]
    with world.engine.connect() as conn:
        assert len(conn.execute(select(INBOX.c.event_id)).all()) == 2
    world.subscriber(records)  # a redelivery changes nothing
    assert world.handled() == [("flaky", 2), ("x", 3)]
    assert len(world.parked()) == 1
