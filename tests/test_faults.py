"""The faults of issue 9 as regression tests, on PostgreSQL + Kafka with the four services as
separate ``duban serve`` processes: kill -9 a service mid-publish, mid-consume and
mid-progress; the broker paused; PostgreSQL stopped; a poison event on the topic. Each
scenario counts what a user counts (tasks, assignments, 交办 notices, progress reports)
against exact numbers, and matches every service's outbox against its subscribers' inboxes
by event id (``cluster.Ledger``): nothing lost, nothing doubled.

The services share one fresh database and topic prefix for the module (the database-down
scenario has its own throwaway PostgreSQL cluster); the scenarios add notices one after the
other, and every count is of the scenario's own notice. ``DUBAN_FAULT_ROUNDS`` (default 1)
repeats each kill; ``DUBAN_FAULT_BROKER_PAUSE_S`` and ``DUBAN_FAULT_DB_DOWN_S`` set the
outages; ``bench/faults.py`` runs them longer. With ``DUBAN_FAULT_SUMMARY`` set to a file,
each scenario appends what it counted there as one JSON line."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cluster import (
    Counts,
    Duban,
    Ledger,
    RelayWatch,
    Report,
    Reporting,
    broker_paused,
    count_notice,
    find_initdb,
    kafka_pid,
    make_postgres,
    notice,
    read_ledger,
    reports_of,
    send_until_done,
    settled_ledger,
    topic_records,
)
from helpers import IN_CI, wait_until
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from shared.contracts import topic_for
from shared.contracts.intake import TaskDefinedV1
from shared.messaging.kafka import KafkaBus

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

ROUNDS = int(os.environ.get("DUBAN_FAULT_ROUNDS", "1"))
BROKER_PAUSE_S = float(os.environ.get("DUBAN_FAULT_BROKER_PAUSE_S", "15"))
DB_DOWN_S = float(os.environ.get("DUBAN_FAULT_DB_DOWN_S", "10"))
SUMMARY = os.environ.get("DUBAN_FAULT_SUMMARY")

ADMIN = "faults-admin-token-0123456789"
OPERATOR = "faults-operator-token-0123456789"
UNITS = ("县发展改革局", "县财政局")  # every task: lead unit, responsible unit
# A killed consumer stays a member of its group until its session times out (10 s, see
# shared/messaging/kafka.py); the restarted one gets its partitions only then. A consumer
# backing off after the database was away waits up to 30 s more. Hence the long settling.
SETTLE_S = 150.0


def _missing(why: str) -> None:
    if IN_CI:
        pytest.fail(why + " (required in CI)", pytrace=False)
    pytest.skip(why)


# -- the running system ---------------------------------------------------------------------


@dataclass
class System:
    """The four services on one database, with what the scenarios have put in so far."""

    duban: Duban
    url: str
    bootstrap: str
    prefix: str
    unit_token: str = ""
    poisons: set[str] = field(default_factory=set)
    tasks_total: int = 0
    reports_total: int = 0

    def client(self, service: str, token: str = ADMIN) -> httpx.Client:
        """A client of one service, as the bootstrap administrator unless told otherwise."""
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=self.duban.url(service), timeout=15, headers=headers)

    def admin(self) -> httpx.Client:
        return self.client("tasks", ADMIN)

    @contextlib.contextmanager
    def logs_on_failure(self) -> Iterator[None]:
        """The services' logs printed in the test's own output when it fails."""
        try:
            yield
        except BaseException:
            self.duban.print_logs()
            raise

    def setup_directory(self) -> None:
        """The two units of every task in the directory (before any notice, so no open task
        is resolved again), and a unit token of the lead unit for its OA system."""
        with self.admin() as admin:
            for unit in UNITS:
                answer = send_until_done(
                    lambda u=unit: admin.put(
                        f"/directory/units/{u}",
                        params={"government": "default"},
                        json={"kind": "unit"},
                    )
                )
                assert answer.status == 200, answer
            issued = admin.post(
                "/tokens",
                json={
                    "name": "发改OA",
                    "role": "unit",
                    "government_id": "default",
                    "unit": UNITS[0],
                },
            )
            assert issued.status_code == 201, issued.text
            self.unit_token = issued.json()["token"]

    def publish(self, title: str, count: int) -> str:
        """Create and publish a notice of ``count`` tasks; its document id."""
        with self.client("intake") as intake:
            created = send_until_done(
                lambda: intake.post("/documents", json=notice(title, count, UNITS))
            )
            assert created.status == 201, created
            document_id = created.body["id"]
            published = send_until_done(lambda: intake.post(f"/documents/{document_id}/publish"))
            assert published.status == 200, published
        self.tasks_total += count
        return document_id

    def republished(self, service: str) -> int:
        """Records on the service's topic beyond its outbox rows (and the poisons written
        there by hand): events its relay published twice, which the inboxes absorbed."""
        on_topic = topic_records(self.bootstrap, topic_for(service, self.prefix))
        extra = len(self.poisons) if service == "intake" else 0
        return on_topic - len(read_ledger(self.url).outbox[service]) - extra

    def counts(self, document_id: str) -> Counts:
        with self.admin() as tasks, self.client("notify") as notify:
            return count_notice(tasks, notify, document_id)

    def settle(self) -> Ledger:
        """Wait until every outbox row is published and consumed by each subscriber, then
        check the totals every scenario must keep: one task.defined and one task.registered
        per task, one progress.submitted per report, reporting's count of tasks, and no
        parked event but the poisons."""
        ledger = settled_ledger(self.url, SETTLE_S)
        gone = [n for n, s in self.duban.services.items() if not s.running()]
        assert not gone, f"exited by themselves: {gone}"
        assert ledger.outbox_types("intake")["task.defined"] == self.tasks_total
        assert ledger.outbox_types("tasks")["task.registered"] == self.tasks_total
        assert ledger.outbox_types("tasks")["progress.submitted"] == self.reports_total
        parked = {e for rows in ledger.parked.values() for e, _reason in rows}
        assert parked == self.poisons, parked
        with self.client("reporting") as reporting:
            overview = reporting.get("/overview").json()
        assert overview["task_count"] == self.tasks_total, overview
        return ledger

    def expect_notice(self, document_id: str, count: int) -> Counts:
        """The notice's tasks, assignments and notices, exactly (after ``settle``)."""
        counted = self.counts(document_id)
        assert counted.as_dict() == {
            "tasks": count,
            "assignments": 2 * count,
            "notices": 2 * count,
        }, counted
        return counted

    def expect_reports(self, task_ids: list[str], reports: list[Report], marker: str) -> int:
        """Exactly the reports sent, each once (its key is in its text)."""
        with self.admin() as tasks:
            stored = [r for r in reports_of(tasks, task_ids) if r["done"].startswith(marker)]
        keys = sorted(r["done"].removeprefix("报送") for r in stored)
        assert keys == sorted(r.key for r in reports), (
            f"{len(stored)} stored for {len(reports)} sent; twice: "
            f"{sorted({k for k in keys if keys.count(k) > 1})[:5]}"
        )
        return len(stored)


def record(scenario: str, **facts: Any) -> None:
    """What a scenario counted, for bench/faults.py (and -s)."""
    line = json.dumps({"scenario": scenario, "rounds": ROUNDS, **facts}, ensure_ascii=False)
    print(line)
    if SUMMARY:
        with open(SUMMARY, "a", encoding="utf-8") as out:
            out.write(line + "\n")


def service_env(database_url: str, bootstrap: str, prefix: str, data_dir: Path) -> dict[str, str]:
    return {
        "DUBAN_DATABASE_URL": database_url,
        "DUBAN_BUS": "kafka",
        "DUBAN_KAFKA_BOOTSTRAP": bootstrap,
        "DUBAN_KAFKA_PARTITIONS": "3",
        "DUBAN_TOPIC_PREFIX": prefix,
        "DUBAN_TASKS_ADMIN_TOKEN": ADMIN,
        "DUBAN_OPERATOR_TOKEN": OPERATOR,
        "DUBAN_RELAY_INTERVAL_S": "0.2",
        "DUBAN_DATA_DIR": str(data_dir),
        "DUBAN_LOG_LEVEL": "warning",
    }


@pytest.fixture(scope="module")
def system(
    pg_admin_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """A fresh database and topic prefix for the module, the four services on them."""
    name = f"duban_f_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    base = tmp_path_factory.mktemp("faults")
    prefix = f"f{uuid.uuid4().hex[:10]}"
    duban = Duban(service_env(url, kafka_bootstrap, prefix, base / "var"), base / "logs")
    running = System(duban, url, kafka_bootstrap, prefix)
    try:
        with running.logs_on_failure():
            duban.start()
            running.setup_directory()
            running.settle()  # every consumer has joined its group and caught up
        yield running
    finally:
        duban.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _pending(url: str, service: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text(f'SELECT count(*) FROM "{service}".outbox WHERE published_at IS NULL')
            ).scalar_one()
    finally:
        engine.dispose()


def _registered(url: str, document_id: str) -> int:
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM tasks.task WHERE document_id = :d"), {"d": document_id}
            ).scalar_one()
    finally:
        engine.dispose()


# -- 0. the ledger itself --------------------------------------------------------------------


def test_the_ledger_finds_what_is_lost_unpublished_or_foreign() -> None:
    """The check every scenario ends with can fail: an event a subscriber never got, a row
    never published, an inbox id nobody wrote; a parked event is not lost."""
    subscribed = {"intake": set(), "tasks": {"task.defined"}, "notify": {"task.registered"}}
    whole = Ledger(
        outbox={
            "intake": [("d1", "task.defined", True), ("d2", "task.defined", True)],
            "tasks": [("r1", "task.registered", True)],
            "notify": [],
        },
        inbox={"intake": [], "tasks": ["d1", "d2"], "notify": ["r1"]},
        parked={"intake": [], "tasks": [], "notify": []},
    )
    assert whole.problems(subscribed) == []
    whole.inbox["tasks"].remove("d2")
    assert whole.problems(subscribed) == ["tasks: 1 events never consumed, e.g. d2"]
    whole.parked["tasks"].append(("d2", "failed"))
    assert whole.problems(subscribed) == []
    whole.outbox["tasks"].append(("r2", "task.registered", False))
    whole.inbox["notify"].append("x9")
    assert whole.problems(subscribed) == [
        "tasks: 1 outbox rows not published",
        "notify: 1 events never consumed, e.g. r2",
        "notify: 1 inbox ids no outbox wrote",
    ]


# -- 1. kill -9 intake right after a publish -----------------------------------------------


def _kill_when_relaying(system: System, service: str, timeout: float) -> Future[str]:
    """In the background: kill -9 the service the moment the broker has its relay's rows and
    they are not marked published (or after ``timeout`` anyway), then restart it. The
    future tells what the kill caught."""

    watch = RelayWatch(system.url, system.bootstrap, topic_for(service, system.prefix), service)

    def kill_and_restart() -> str:
        how = watch.kill_in_window(system.duban, timeout)
        system.duban.restart(service)
        return how

    return KILLERS.submit(kill_and_restart)


KILLERS = ThreadPoolExecutor(1, thread_name_prefix="killer")
# Round by round, when intake dies after a publish: with its relay in flight, at once after
# the answer (the relay may not have begun), a moment later (it may be done).
INTAKE_KILLS = ("relay in flight", "at once", "relay in flight", "after 0.3 s")


def test_kill_intake_mid_publish_loses_and_doubles_nothing(system: System) -> None:
    """Killed while its relay has sent a notice's events and not yet marked them: the
    restarted intake publishes them again, and the inboxes make that a no-op. (The publish
    request itself may lose its answer: the clerk's retry finds it published.)"""
    with system.logs_on_failure():
        began, facts = time.monotonic(), []
        for round_ in range(ROUNDS):
            how = INTAKE_KILLS[round_ % len(INTAKE_KILLS)]
            twice = system.republished("intake")
            killer = _kill_when_relaying(system, "intake", 10) if how.startswith("relay") else None
            document_id = system.publish(f"甲县2027年重点工作第{round_ + 1}批（发布即断电）", 60)
            if killer is None:
                time.sleep(0.3 if how.startswith("after") else 0.0)
                system.duban.kill("intake")
                system.duban.restart("intake")
            caught = killer.result(timeout=120) if killer is not None else None
            system.settle()
            counted = system.expect_notice(document_id, 60)
            facts.append(
                {
                    "kill": how,
                    "caught": caught,
                    "republished": system.republished("intake") - twice,
                    **counted.as_dict(),
                }
            )
        record("kill -9 intake mid-publish", seconds=round(time.monotonic() - began), each=facts)


# -- 2. kill -9 tasks while it registers a large notice ------------------------------------


def test_kill_tasks_mid_registration_loses_and_doubles_nothing(system: System) -> None:
    """Killed while it registers a notice of 150 tasks: the batch (one transaction per
    partition's records) it was in rolls back and its offsets were not committed, so the
    restarted consumer takes it up again; the batch before was committed, and its events
    were on their way out through the relay, which sends them again."""
    with system.logs_on_failure():
        began, facts = time.monotonic(), []
        for round_ in range(ROUNDS):
            twice = system.republished("tasks")
            killer = _kill_when_relaying(system, "tasks", 60)
            document_id = system.publish(f"乙县2027年重点工作第{round_ + 1}批（登记中断电）", 150)
            caught = killer.result(timeout=120)
            at_restart = _registered(system.url, document_id)
            system.settle()
            counted = system.expect_notice(document_id, 150)
            facts.append(
                {
                    "caught": caught,
                    "registered_at_restart": at_restart,
                    "republished": system.republished("tasks") - twice,
                    **counted.as_dict(),
                }
            )
        record(
            "kill -9 tasks mid-registration", seconds=round(time.monotonic() - began), each=facts
        )


# -- 3. kill -9 tasks while units report progress --------------------------------------------


def _first_tasks(system: System, count: int) -> list[str]:
    """Tasks registered by an earlier scenario (any document), to report on."""
    with system.admin() as tasks:
        listed = tasks.get("/tasks", params={"government": "default", "limit": count}).json()
    assert len(listed) == count
    return [t["id"] for t in listed]


def _reports(marker: str, task_ids: list[str], count: int) -> list[Report]:
    return [
        Report(task_ids[n % len(task_ids)], UNITS[0], f"{marker}-{n}", n % 101)
        for n in range(count)
    ]


def test_kill_tasks_mid_progress_stores_every_report_once(system: System) -> None:
    """An OA system retries a report whose answer it did not get, with the same
    Idempotency-Key: a report stored just before the kill comes back as 200 (stored
    already), one that was not is stored now; 100 sent, 100 stored."""
    with system.logs_on_failure():
        began = time.monotonic()
        task_ids = _first_tasks(system, 10)
        marker = f"p{uuid.uuid4().hex[:6]}"
        reports = _reports(marker, task_ids, 100)
        sender = Reporting(lambda: system.duban.url("tasks"), system.unit_token)
        worker = threading.Thread(target=sender.send_all, args=(reports,), daemon=True)
        worker.start()
        kills = []
        for round_ in range(ROUNDS):
            point = len(reports) * (round_ + 1) // (ROUNDS + 1)
            wait_until(lambda p=point: sender.sent >= p, 120, f"{point} reports sent")
            system.duban.kill("tasks")
            kills.append(sender.sent)
            system.duban.restart("tasks")
        worker.join(timeout=180)
        assert not worker.is_alive(), "the reports were not all sent"
        failed = {k: s for k, s in sender.results.items() if s.status not in (200, 201)}
        assert not failed, failed
        assert sender.summary()["retried"] > 0, "no report met the kill"
        system.reports_total += len(reports)
        stored = system.expect_reports(task_ids, reports, f"报送{marker}")
        system.settle()
        record(
            "kill -9 tasks mid-progress",
            seconds=round(time.monotonic() - began),
            sent_at_kills=kills,
            stored=stored,
            **sender.summary(),
        )


# -- 4. the broker paused ---------------------------------------------------------------------


def test_broker_down_the_services_answer_and_nothing_is_lost(system: System) -> None:
    """With Kafka paused (SIGSTOP: connections hang, as on a partition), a notice is
    published and progress reported over HTTP as usual; their events wait in the outboxes
    and all arrive, once, when the broker is back."""
    pid = kafka_pid()
    if pid is None:
        _missing("the Kafka broker's pid file (DUBAN_INFRA_DIR or var/infra/kafka.pid)")
    with system.logs_on_failure():
        began = time.monotonic()
        task_ids = _first_tasks(system, 20)[10:]
        marker = f"b{uuid.uuid4().hex[:6]}"
        reports = _reports(marker, task_ids, 30)
        sender = Reporting(lambda: system.duban.url("tasks"), system.unit_token)
        with broker_paused(pid, BROKER_PAUSE_S + 60):
            paused_at = time.monotonic()
            document_id = system.publish("丙县2027年重点工作（消息总线中断）", 30)
            sender.send_all(reports, threads=2)  # even tasks, odd tasks: no contention
            with system.admin() as tasks:
                assert tasks.get("/tasks", params={"limit": 5}).status_code == 200
            answered_in = time.monotonic() - paused_at
            pending = _pending(system.url, "intake")
            assert pending > 0, "the notice's events wait in intake's outbox"
            time.sleep(max(0.0, BROKER_PAUSE_S - (time.monotonic() - paused_at)))
        assert answered_in < BROKER_PAUSE_S, f"HTTP took {answered_in:.1f}s with Kafka down"
        assert {s.status for s in sender.results.values()} == {201}, sender.summary()
        assert all(s.attempts == 1 for s in sender.results.values()), sender.summary()
        system.reports_total += len(reports)
        system.settle()
        counted = system.expect_notice(document_id, 30)
        stored = system.expect_reports(task_ids, reports, f"报送{marker}")
        record(
            "broker paused",
            seconds=round(time.monotonic() - began),
            paused_s=BROKER_PAUSE_S,
            http_while_paused_s=round(answered_in, 1),
            intake_pending_while_paused=pending,
            stored=stored,
            **counted.as_dict(),
        )


# -- 6. a poison event ------------------------------------------------------------------------


def test_a_poison_event_is_parked_and_the_next_notice_flows(
    system: System, kafka_bootstrap: str
) -> None:
    """A task.defined its contract refuses, written to intake's topic as a foreign producer
    would: the tasks service parks it, and a notice published after it registers at once."""
    with system.logs_on_failure():
        began = time.monotonic()
        good = TaskDefinedV1(
            task_id=f"POISON-{uuid.uuid4().hex[:6]}", document_id="D-X", number="9", text="坏事件"
        ).envelope()
        broken = {key: value for key, value in good.data.items() if key != "text"}
        bad = good.model_copy(update={"id": uuid.uuid4(), "data": broken})
        bus = KafkaBus(kafka_bootstrap)
        try:
            bus.publish(topic_for("intake", system.duban.env["DUBAN_TOPIC_PREFIX"]), [bad])
        finally:
            bus.close()
        system.poisons.add(str(bad.id))
        document_id = system.publish("丁县2027年重点工作（坏事件之后）", 5)
        with system.admin() as tasks:
            wait_until(
                lambda: len(tasks.get("/tasks", params={"document_id": document_id}).json()) == 5,
                30,
                "the notice's tasks after the poison",
            )
        arrived_in = time.monotonic() - began
        with system.client("tasks", OPERATOR) as ops:
            parked = ops.get("/ops/parked").json()
        assert [(p["event_id"], p["reason"]) for p in parked] == [(str(bad.id), "failed")]
        assert "不符合契约" in parked[0]["error"]
        system.settle()
        counted = system.expect_notice(document_id, 5)
        record(
            "poison event",
            seconds=round(time.monotonic() - began),
            tasks_arrived_s=round(arrived_in, 1),
            parked=len(parked),
            **counted.as_dict(),
        )


# -- 5. PostgreSQL stopped ------------------------------------------------------------------


def test_database_down_mid_registration_and_progress_loses_and_doubles_nothing(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """PostgreSQL stopped while tasks registers a notice and units report: requests get 503
    and are retried with their keys; the consumers back off and go on; nobody restarts
    duban. Its own cluster: the shared server serves other tests."""
    initdb = find_initdb()
    if initdb is None:
        _missing("PostgreSQL's initdb (install postgresql)")
    postgres = make_postgres(initdb)
    prefix = f"f{uuid.uuid4().hex[:10]}"
    duban = Duban(
        service_env(postgres.url, kafka_bootstrap, prefix, tmp_path / "var"), tmp_path / "logs"
    )
    system = System(duban, postgres.url, kafka_bootstrap, prefix)
    try:
        with system.logs_on_failure():
            began = time.monotonic()
            duban.start()
            system.setup_directory()
            first = system.publish("戊县2027年重点工作（报送用）", 10)
            system.settle()
            task_ids = system.counts(first).task_ids
            marker = f"d{uuid.uuid4().hex[:6]}"
            reports = _reports(marker, task_ids, 40)
            # Spread over a few seconds, so that the outage falls among them.
            sender = Reporting(lambda: duban.url("tasks"), system.unit_token, pace_s=0.15)

            document_id = system.publish("戊县2027年重点工作（数据库中断）", 150)
            worker = threading.Thread(
                target=sender.send_all, args=(reports,), kwargs={"threads": 2}, daemon=True
            )
            worker.start()
            # Stopped once the registration has begun, or half the reports are in.
            with contextlib.suppress(AssertionError):
                wait_until(
                    lambda: _registered(postgres.url, document_id) > 0 or sender.sent >= 20,
                    60,
                    "the registration to begin",
                )
            at_stop = (_registered(postgres.url, document_id), sender.sent)
            postgres.stop()
            try:
                time.sleep(DB_DOWN_S)
            finally:
                postgres.start()
            worker.join(timeout=180)
            assert not worker.is_alive(), "the reports were not all sent"
            failed = {k: s for k, s in sender.results.items() if s.status not in (200, 201)}
            assert not failed, failed
            assert sender.summary()["retried"] > 0, "no report met the outage"
            system.reports_total += len(reports)
            system.settle()
            counted = system.expect_notice(document_id, 150)
            stored = system.expect_reports(task_ids, reports, f"报送{marker}")
            record(
                "PostgreSQL stopped",
                seconds=round(time.monotonic() - began),
                down_s=DB_DOWN_S,
                registered_at_stop=at_stop[0],
                reports_sent_at_stop=at_stop[1],
                stored=stored,
                **counted.as_dict(),
                **sender.summary(),
            )
    finally:
        duban.stop()
        postgres.destroy()
