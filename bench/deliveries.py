"""Deliveries per second through notify's sender, on SQLite and on PostgreSQL, with two
channels:

* ``fake``: an instant channel — the cost of the engine itself (plan, claim with its attempt
  rows, record with its events); its baseline is the bare channel calls;
* ``simulator``: the real WeCom app channel (the provider client over HTTP: token, signed
  JSON, duplicate check) against the provider simulator running in its own process — what
  a deployment gets end to end; its baseline is the same messages sent through the same
  channel object from as many threads as the sender has workers, with no engine at all.

    .venv/bin/python bench/deliveries.py [--messages 3000] [--runs 3] [--pg URL]
                                         [--channel fake|simulator|both]

Each run: N reminders to N/10 units (10 each), one contact per unit on the WeCom app (its
rate limits declared, so they are counted, but not reached: 10 messages per member), K
large enough that nothing is merged. Prints the median of the runs. The events go to the
service's outbox, as in production (the relay to Kafka runs apart from the sender and is
not timed here: bench/event_pipeline.py measures it)."""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.notify.channels.base import Channel, Outcome, Outgoing, RateLimit, Recipient
from services.notify.contacts.service import ContactData, put_contact
from services.notify.delivery.sender import Sender
from services.notify.handlers import on_reminder_requested
from services.notify.settings import NotifySettings
from services.notify.spec import SPEC
from shared.config import Settings
from shared.contracts.tasks import ReminderRequestedV1
from shared.service import ServiceRuntime

NOW = datetime(2026, 6, 22, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


class Instant:
    name, address, safe_to_resend, quiet_hours, digest = (
        "wecom_app",
        "wecom_userid",
        True,
        False,
        True,
    )
    limits = (RateLimit(30, 60, True), RateLimit(1000, 3600, True))

    def send(self, message: Outgoing) -> Outcome:
        return Outcome.delivered("bench", f"m{message.delivery_id}")


def member(n: int) -> str:
    return f"u{n:05d}"


def units_for(messages: int) -> int:
    return max(1, messages // 10)


def prepare(runtime: ServiceRuntime, messages: int) -> None:
    units = units_for(messages)
    names = [f"单位{n}" for n in range(units)]
    with runtime.sessions.begin() as session:
        for n, unit in enumerate(names):
            data = ContactData("unit", unit, "联络员", "张三", member(n), None, None, ["wecom_app"])
            put_contact(session, "g", data, "bench")
        for n in range(messages // units):
            event = ReminderRequestedV1(
                dedup_key=f"before_due:T{n}",
                task_id=f"T{n}",
                government_id="g",
                kind="before_due",
                step="-3",
                due_date=NOW.date(),
                units=names,
                subject="6月底前",
                task_number=str(n),
                task_text="任务",
            )
            on_reminder_requested(session, event)


def engine_run(url: str | None, messages: int, channel: Channel) -> float:
    """Deliveries per second through the sender (planning included)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=url, topic_prefix="bench")
        runtime = ServiceRuntime(SPEC, settings, bus=None)  # type: ignore[arg-type]
        runtime.migrate()
        prepare(runtime, messages)
        notify = NotifySettings(digest_after=1000, batch=500)
        sender = Sender(runtime.sessions, {"wecom_app": channel}, notify)
        started = time.perf_counter()
        report = sender.drain(NOW, passes=10_000)
        took = time.perf_counter() - started
        sender.close()
        runtime.dispose()
        assert report.outcomes.get("delivered") == messages, report
    return messages / took


def bare_run(messages: int, channel: Channel, workers: int) -> float:
    """The same number of distinct messages through the channel alone, ``workers`` at once."""
    units = units_for(messages)

    def one(n: int) -> Outcome:
        recipient = Recipient(n % units, "unit", "单位", "联络员", "张三", member(n % units))
        message = Outgoing(
            n,
            f"duban-{n}",
            "wecom_app",
            recipient,
            "before_due",
            f"任务{n}",
            f"第{n}项",
            f"http://127.0.0.1/tasks/tasks/B{n}",
            {},
            False,
            "g",
            f"B{n}",
            1,
        )
        return channel.send(message)

    started = time.perf_counter()
    if workers == 1:
        outcomes = [one(n) for n in range(messages)]
    else:
        with ThreadPoolExecutor(workers) as pool:
            outcomes = list(pool.map(one, range(messages)))
    took = time.perf_counter() - started
    bad = [o for o in outcomes if o.status != "delivered"]
    assert not bad, bad[:3]
    return messages / took


# -- the simulator in its own process --------------------------------------------------------


def serve_simulator(port: int, members: int) -> None:
    """(In the child process.) The simulator with ``members`` WeCom userids, quiet."""
    import uvicorn

    from duban.simulated import simulator_config
    from simulators import create_app

    config = replace(simulator_config(), wecom_members=tuple(member(n) for n in range(members)))
    uvicorn.run(
        create_app(config), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


@contextmanager
def simulator_process(members: int) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-simulator", str(port), "--members", str(members)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/_control/clock", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or child.poll() is not None:
                    raise RuntimeError("the simulator did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        child.terminate()
        child.wait(timeout=10)


@contextmanager
def wecom_channel(base: str) -> Iterator[Channel]:
    """The real channel, as ``duban run`` builds it against the simulator."""
    from duban.simulated import simulated_settings
    from services.notify.channels.providers import wecom_app

    saved = {k: os.environ.get(k) for k in simulated_settings(base)}
    os.environ.update(simulated_settings(base))
    try:
        channel = wecom_app(NotifySettings())
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        yield channel
    finally:
        channel.client.close()


# -- databases ---------------------------------------------------------------------------------


def fresh_pg(admin_url: str) -> tuple[str, str]:
    name = f"duban_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_pg(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@contextmanager
def database(admin_url: str | None) -> Iterator[str | None]:
    if admin_url is None:
        yield None
        return
    name, url = fresh_pg(admin_url)
    try:
        yield url
    finally:
        drop_pg(admin_url, name)


def median_of(runs: int, one: Callable[[], float]) -> tuple[float, list[float]]:
    rates = [one() for _ in range(runs)]
    return statistics.median(rates), rates


def line(label: str, rates: tuple[float, list[float]], bare: tuple[float, list[float]]) -> str:
    median, each = rates
    return (
        f"{label:22s} deliveries/s median {median:8.0f} "
        f"(runs: {', '.join(f'{r:.0f}' for r in each)}); "
        f"bare channel calls/s {bare[0]:,.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", default=os.environ.get("DUBAN_TEST_PG_URL"))
    parser.add_argument("--channel", choices=("fake", "simulator", "both"), default="both")
    parser.add_argument("--serve-simulator", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--members", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_simulator:
        serve_simulator(args.serve_simulator, args.members)
        return
    targets: list[tuple[str, str | None]] = [("sqlite", None)]
    if args.pg:
        targets.append(("postgresql", args.pg))
    workers = NotifySettings().workers
    if args.channel in ("fake", "both"):
        channel = Instant()
        for label, admin_url in targets:

            def fake(admin_url: str | None = admin_url) -> float:
                with database(admin_url) as url:
                    return engine_run(url, args.messages, channel)

            rates = median_of(args.runs, fake)
            bare = median_of(args.runs, lambda: bare_run(args.messages, channel, 1))
            print(line(f"{label}/fake", rates, bare), flush=True)
    if args.channel in ("simulator", "both"):
        with simulator_process(units_for(args.messages)) as base:
            control = httpx.Client(base_url=base, timeout=30)

            def reset() -> None:
                control.post("/_control/reset").raise_for_status()

            for label, admin_url in targets:

                def real(admin_url: str | None = admin_url) -> float:
                    reset()
                    with database(admin_url) as url, wecom_channel(base) as channel:
                        return engine_run(url, args.messages, channel)

                def bare_real() -> float:
                    reset()
                    with wecom_channel(base) as channel:
                        return bare_run(args.messages, channel, workers)

                rates = median_of(args.runs, real)
                bare = median_of(args.runs, bare_real)
                print(line(f"{label}/simulator", rates, bare), flush=True)
            control.close()


if __name__ == "__main__":
    main()
