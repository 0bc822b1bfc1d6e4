"""Event throughput and end-to-end latency through outbox → relay → bus → inbox → handler.

    python bench/event_pipeline.py [--events 5000] [--singles 200]

Runs the embedded default (SQLite + in-process bus) always, and PostgreSQL + Kafka when
DUBAN_TEST_PG_URL and DUBAN_TEST_KAFKA_BOOTSTRAP are set (scripts/infra.sh start; eval
"$(scripts/infra.sh env)"). For each it also measures the bare bus (publish → consume, no
database) in the same run, and prints the pipeline's figures as a ratio to it.
The producer is the intake outbox; the consumer is the tasks service's real handler
(register the task, write task.registered to its own outbox) behind the inbox.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from duban.services import load_spec
from shared.buses import create_bus
from shared.config import Settings
from shared.contracts import Envelope
from shared.contracts.intake import TaskDefinedV1
from shared.messaging.bus import Bus, Record
from shared.messaging.outbox import add_event, add_events
from shared.runtime import tune_collector
from shared.service import ServiceRuntime


class Probe:
    """Counts handled events and the latency of each, from occurred_at to handled."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.lock = threading.Lock()
        self.done = threading.Condition(self.lock)

    def seen(self, records: Sequence[Record]) -> None:
        now = datetime.now(UTC)
        lags = [(now - Envelope.from_bytes(r.value).occurred_at).total_seconds() for r in records]
        with self.lock:
            self.latencies.extend(lags)
            self.done.notify_all()

    def wait(self, count: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.latencies) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"only {len(self.latencies)}/{count} handled")
                self.done.wait(left)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def task_event(i: int) -> TaskDefinedV1:
    return TaskDefinedV1(
        task_id=f"bench-{uuid.uuid4().hex[:12]}-{i}",
        document_id="bench",
        number=str(i),
        text="全年新增城镇就业7400人以上",
        lead_units=["县人社局"],
    )


def bare_bus(bus: Bus, prefix: str, events: int, singles: int) -> dict[str, float]:
    topic = f"{prefix}.bare"
    bus.ensure_topics([topic])
    probe = Probe()
    consumer = bus.consumer(f"{prefix}.bare", [topic], probe.seen)
    consumer.start()
    started = time.perf_counter()
    batch = [task_event(i).envelope() for i in range(events)]
    for i in range(0, events, 100):
        bus.publish(topic, batch[i : i + 100])
    probe.wait(events)
    throughput = events / (time.perf_counter() - started)
    probe.latencies.clear()
    for i in range(singles):
        bus.publish(topic, [task_event(i).envelope()])
        probe.wait(i + 1)
    consumer.stop()
    return {"throughput": throughput, **latency_figures(probe.latencies)}


def latency_figures(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": pct(latencies, 0.95),
        "p99_ms": pct(latencies, 0.99),
    }


def pipeline(settings: Settings, bus: Bus, events: int, singles: int) -> dict[str, float]:
    intake = ServiceRuntime(load_spec("intake"), settings, bus)
    tasks = ServiceRuntime(load_spec("tasks"), settings, bus)
    for service in (intake, tasks):
        service.migrate()
    bus.ensure_topics([intake.topic, tasks.topic])
    probe = Probe()

    def handle(records: Sequence[Record]) -> None:
        tasks.subscriber(records)
        probe.seen(records)

    consumer = bus.consumer(tasks.consumer_group, tasks.subscribed_topics, handle)
    consumer.start()
    intake.relay.start()
    started = time.perf_counter()
    for i in range(0, events, 100):
        with intake.sessions.begin() as session:  # as intake publishes a notice
            add_events(session, [task_event(j) for j in range(i, min(events, i + 100))])
    probe.wait(events)
    throughput = events / (time.perf_counter() - started)
    probe.latencies.clear()
    for i in range(singles):
        with intake.sessions.begin() as session:
            add_event(session, task_event(i))
        probe.wait(i + 1)
    consumer.stop()
    intake.relay.stop()
    for service in (intake, tasks):
        service.dispose()
    return {"throughput": throughput, **latency_figures(probe.latencies)}


def fresh_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"duban_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def run_case(label: str, settings: Settings, args: argparse.Namespace) -> None:
    bus = create_bus(settings)
    try:
        base = bare_bus(bus, settings.topic_prefix, args.events, args.singles)
        full = pipeline(settings, bus, args.events, args.singles)
    finally:
        bus.close()
    print(f"\n== {label}: {args.events} events in batches of 100, then {args.singles} one by one")
    print(f"{'':26}{'events/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, figures in (("bare bus", base), ("outbox+bus+inbox+handler", full)):
        print(
            f"{name:26}{figures['throughput']:>10.0f}{figures['p50_ms']:>9.2f}"
            f"{figures['p95_ms']:>9.2f}{figures['p99_ms']:>9.2f}"
        )
    print(
        f"{'pipeline / bare bus':26}{full['throughput'] / base['throughput']:>10.2f}"
        f"{full['p50_ms'] / base['p50_ms']:>9.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--singles", type=int, default=200)
    args = parser.parse_args()
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    tune_collector()  # as `duban run` and `duban serve` do once started, for both measures
    with tempfile.TemporaryDirectory() as tmp:
        run_case(
            "embedded: SQLite + in-process bus",
            Settings(data_dir=Path(tmp), bus="memory", topic_prefix=prefix, relay_interval_s=0.5),
            args,
        )
    pg, kafka = os.environ.get("DUBAN_TEST_PG_URL"), os.environ.get("DUBAN_TEST_KAFKA_BOOTSTRAP")
    if not (pg and kafka):
        print(
            "\n(PostgreSQL + Kafka skipped: set DUBAN_TEST_PG_URL and "
            'DUBAN_TEST_KAFKA_BOOTSTRAP, e.g. eval "$(scripts/infra.sh env)")'
        )
        return
    url, drop = fresh_pg_database(pg)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run_case(
                "production: PostgreSQL + Kafka",
                Settings(
                    data_dir=Path(tmp),
                    bus="kafka",
                    database_url=url,
                    kafka_bootstrap=kafka,
                    kafka_partitions=6,
                    topic_prefix=prefix,
                    relay_interval_s=0.5,
                ),
                args,
            )
    finally:
        drop()


if __name__ == "__main__":
    main()
