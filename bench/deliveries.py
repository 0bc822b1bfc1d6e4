"""Deliveries per second through notify's sender, with an instant fake channel: the cost of
the engine itself (plan, claim with its attempt rows, record with its events), on SQLite and
on PostgreSQL. The baseline is the bare channel calls of the same messages in the same run.

    .venv/bin/python bench/deliveries.py [--messages 3000] [--runs 3] [--pg URL]

Each run: N reminders to N/10 units (10 each), one contact per unit on the WeCom app (its
rate limits declared, so they are counted, but not reached: 10 messages per member), K
large enough that nothing is merged. Prints the median of the runs."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.notify.channels.base import Outcome, Outgoing, RateLimit, Recipient
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


def prepare(runtime: ServiceRuntime, messages: int) -> None:
    units = [f"单位{n}" for n in range(max(1, messages // 10))]
    with runtime.sessions.begin() as session:
        for unit in units:
            data = ContactData(
                "unit", unit, "联络员", "张三", f"u-{unit}", None, None, ["wecom_app"]
            )
            put_contact(session, "g", data, "bench")
        for n in range(messages // len(units)):
            event = ReminderRequestedV1(
                dedup_key=f"before_due:T{n}",
                task_id=f"T{n}",
                government_id="g",
                kind="before_due",
                step="-3",
                due_date=NOW.date(),
                units=units,
                subject="6月底前",
                task_number=str(n),
                task_text="任务",
            )
            on_reminder_requested(session, event)


def one_run(url: str | None, messages: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=url, topic_prefix="bench")
        runtime = ServiceRuntime(SPEC, settings, bus=None)  # type: ignore[arg-type]
        runtime.migrate()
        prepare(runtime, messages)
        channel = Instant()
        notify = NotifySettings(digest_after=1000, batch=500)
        sender = Sender(runtime.sessions, {"wecom_app": channel}, notify)
        started = time.perf_counter()
        report = sender.drain(NOW, passes=10_000)
        took = time.perf_counter() - started
        sender.close()
        runtime.dispose()
        assert report.outcomes.get("delivered") == messages, report
    # the bare channel: the same number of calls, nothing else
    recipient = Recipient(1, "unit", "单位", "联络员", "张三", "u")
    message = Outgoing(
        1, "k", "wecom_app", recipient, "before_due", "t", "b", "l", {}, False, "g", "T", 1
    )
    bare = time.perf_counter()
    for _ in range(messages):
        channel.send(message)
    bare_took = time.perf_counter() - bare
    return messages / took, messages / bare_took


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", default=os.environ.get("DUBAN_TEST_PG_URL"))
    args = parser.parse_args()
    targets: list[tuple[str, str | None]] = [("sqlite", None)]
    if args.pg:
        targets.append(("postgresql", args.pg))
    for label, admin_url in targets:
        rates, bare = [], []
        for _ in range(args.runs):
            name = None
            url = None
            if admin_url:
                name, url = fresh_pg(admin_url)
            try:
                rate, bare_rate = one_run(url, args.messages)
            finally:
                if name and admin_url:
                    drop_pg(admin_url, name)
            rates.append(rate)
            bare.append(bare_rate)
        print(
            f"{label:10s} deliveries/s median {statistics.median(rates):8.0f} "
            f"(runs: {', '.join(f'{r:.0f}' for r in rates)}); "
            f"bare channel calls/s {statistics.median(bare):,.0f}"
        )


if __name__ == "__main__":
    main()
