"""Consecutive starts of a Kafka consumer group of two, under CPU load: does every start take
all partitions, and how long does it take?

    python bench/consumer_starts.py [--starts 50] [--load 2] [--stagger 1.0] [--deadline 10]

Needs DUBAN_TEST_KAFKA_BOOTSTRAP (scripts/infra.sh start; eval "$(scripts/infra.sh env)").
One topic of 6 partitions and one consumer group for the whole run. Each start starts two
real KafkaBusConsumer members (the second after a random delay of up to --stagger seconds, as
replicas of a service come up) and waits until

  assigned   both members hold partitions and together hold every partition, once each;
  committed  one record then published to every partition has been handled and its offset
             committed on every partition (a member stuck in a join may go on handling its
             old partitions but cannot commit, so "assigned" alone can look fine);

then stops both (a graceful stop leaves the group) and starts again. Both times count from
the first member's start; a start fails when it is not committed within --deadline seconds
(the session timeout). --load busy-loop processes keep the CPUs busy meanwhile. "joins"
counts the JoinGroup rounds of a start that completed (kafka-python's "Successfully joined
group" lines): a staggered start needs 3 (the first member alone, then both together).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kafka.admin import KafkaAdminClient
from kafka.partitioner.default import murmur2

from shared.contracts import Envelope
from shared.messaging.kafka import KafkaBus

PARTITIONS = 6


class JoinCounter(logging.Handler):
    """Counts kafka-python's "Successfully joined group" lines of one group."""

    def __init__(self, group: str) -> None:
        super().__init__(logging.INFO)
        self.group = group
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(f"Successfully joined group {self.group} "):
            self.count += 1


def burn() -> None:
    while True:
        pass


def key_per_partition() -> list[str]:
    """One key for each partition, by the producer's own hash (murmur2, as Java's)."""
    keys: dict[int, str] = {}
    n = 0
    while len(keys) < PARTITIONS:
        key = f"key-{n}"
        keys.setdefault((murmur2(key.encode()) & 0x7FFFFFFF) % PARTITIONS, key)
        n += 1
    return [keys[p] for p in range(PARTITIONS)]


def record(key: str) -> Envelope:
    return Envelope(
        id=uuid.uuid4(),
        type="bench.ping",
        version=1,
        occurred_at=datetime.now(UTC),
        source="bench",
        key=key,
        data={},
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=50)
    parser.add_argument("--load", type=int, default=2, help="busy-loop processes")
    parser.add_argument("--stagger", type=float, default=1.0, help="max delay of member 2, s")
    parser.add_argument("--deadline", type=float, default=10.0, help="the session timeout, s")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    bootstrap = os.environ.get("DUBAN_TEST_KAFKA_BOOTSTRAP")
    if not bootstrap:
        sys.exit("DUBAN_TEST_KAFKA_BOOTSTRAP is not set (scripts/infra.sh start)")

    rng = random.Random(args.seed)
    burners = [multiprocessing.Process(target=burn, daemon=True) for _ in range(args.load)]
    for process in burners:
        process.start()
    bus = KafkaBus(bootstrap, partitions=PARTITIONS)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), client_id="bench-admin")
    topic = f"bench-starts-{uuid.uuid4().hex[:8]}"
    group = f"{topic}.g"
    bus.ensure_topics([topic])
    keys = key_per_partition()
    joins = JoinCounter(group)
    logging.getLogger("kafka.coordinator").addHandler(joins)
    logging.getLogger("kafka.coordinator").setLevel(logging.INFO)

    def committed_everywhere(expected: int) -> bool:
        offsets = admin.list_group_offsets(group).get(group, {})
        return all(
            any(tp.partition == p and o.offset >= expected for tp, o in offsets.items())
            for p in range(PARTITIONS)
        )

    assigned_s: list[float] = []
    committed_s: list[float] = []
    join_counts: list[int] = []
    failures = 0
    print(f"topic {topic}: {PARTITIONS} partitions, {args.load} busy processes, 2 members")
    print("start  stagger  assigned  committed  joins  stop")
    try:
        for start in range(1, args.starts + 1):
            joins.count = 0
            stagger = rng.uniform(0, args.stagger)
            members = [bus.consumer(group, [topic], lambda _e: None) for _ in range(2)]
            began = time.monotonic()
            members[0].start()
            time.sleep(stagger)
            members[1].start()
            assigned_at = committed_at = None
            while time.monotonic() - began < args.deadline:
                now = time.monotonic() - began
                if assigned_at is None:
                    a, b = (m.assigned_partitions() for m in members)
                    if a and b and not a & b and len(a | b) == PARTITIONS:
                        assigned_at = now
                        bus.publish(topic, [record(key) for key in keys])
                elif committed_everywhere(start):
                    committed_at = now
                    break
                time.sleep(0.05)
            join_counts.append(joins.count)  # before the stop, whose rebalance is not a start's
            stopping = time.monotonic()
            for member in members:
                member.stop()
            stop_s = time.monotonic() - stopping
            if assigned_at is None or committed_at is None:
                failures += 1
                status = "FAILED"
            else:
                assigned_s.append(assigned_at)
                committed_s.append(committed_at)
                status = ""
            shown = [
                f"{t:8.2f}s" if t is not None else "        -" for t in (assigned_at, committed_at)
            ]
            print(
                f"{start:5d}  {stagger:6.2f}s  {shown[0]}  {shown[1]}   {join_counts[-1]:4d}"
                f"  {stop_s:4.2f}s  {status}",
                flush=True,
            )
    finally:
        admin.close()
        bus.close()
        for process in burners:
            process.terminate()

    for name, values in (("assigned", assigned_s), ("committed", committed_s)):
        if values:
            print(
                f"{name:9s}  median {statistics.median(values):.2f} s  "
                f"p90 {percentile(values, 0.9):.2f} s  max {max(values):.2f} s"
            )
    tally = ", ".join(f"{n} joins: {c}" for n, c in sorted(Counter(join_counts).items()))
    print(f"starts by joins: {tally}")
    print(f"failures: {failures} of {args.starts} (deadline {args.deadline:.0f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
