"""Degrading cleanly (issue 9): a request that cannot reach its database gets 503 with
Retry-After and a Chinese message, never a bare 500; /readyz answers within 2 s whatever is
down and names what; the outbox relay, backing off after a failure, sends a new commit's
events at once; and when PostgreSQL comes back everything works again by itself.

The last test stops a real PostgreSQL under two running services (``duban serve``). It
starts a throwaway cluster of its own for that: the shared test server serves other tests."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import psycopg
import pytest
from cluster import Postgres, find_initdb, make_postgres
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from helpers import IN_CI, free_port, wait_until
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shared.buses import create_bus
from shared.config import Settings
from shared.db import Outage, make_engine, new_metadata, outage_of, ping
from shared.messaging.bus import Publishable
from shared.messaging.kafka import KafkaBus
from shared.messaging.outbox import OutboxRelay
from shared.messaging.tables import OUTBOX, add_messaging_tables
from shared.readiness import Check, Readiness
from shared.service import ServiceRuntime, ServiceSpec
from shared.web import create_service_app

REPO = Path(__file__).resolve().parent.parent
REFUSED = psycopg.OperationalError("connection failed: Connection refused")


# -- the mapping of failures to answers ------------------------------------------------


class Gone(LookupError):
    """A domain error a service maps to 404 through its spec's exception handlers."""


async def on_gone(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


def refused_session() -> None:
    """A dependency whose session cannot connect: the raw driver error, as
    ``engine.raw_connection()`` raises it."""
    raise REFUSED


failures = APIRouter()


@failures.get("/lost")
def lost() -> None:
    raise OperationalError("SELECT 1", {}, REFUSED, connection_invalidated=True)


@failures.get("/refused")
def refused() -> None:
    raise OperationalError("SELECT 1", {}, REFUSED)


@failures.get("/shutting-down")
def shutting_down() -> None:
    raise psycopg.errors.AdminShutdown("terminating connection due to administrator command")


@failures.get("/pool")
def pool_exhausted() -> None:
    raise PoolTimeout("QueuePool limit of size 40 overflow 10 reached")


@failures.get("/dependency")
def needs_a_session(_session: Annotated[None, Depends(refused_session)]) -> None:
    raise AssertionError("not reached")


@failures.get("/rewrapped-http")
def rewrapped_http() -> None:
    try:
        refused()
    except OperationalError:
        raise HTTPException(409, "冲突")  # noqa: B904  (raised while handling: in the chain)


@failures.get("/rewrapped-from-none")
def rewrapped_from_none() -> None:
    try:
        refused()
    except OperationalError:
        raise HTTPException(409, "冲突") from None  # the code says: not about the database


@failures.get("/rewrapped-domain")
def rewrapped_domain() -> None:
    try:
        refused()
    except OperationalError as exc:
        raise Gone("找不到") from exc


@failures.get("/gone")
def gone() -> None:
    raise Gone("找不到")


@failures.get("/bug")
def bug() -> None:
    raise ZeroDivisionError("a programming error")


@failures.get("/constraint")
def constraint() -> None:
    raise IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate key"))


def failing_spec(name: str = "failing", subscriptions: dict[str, Any] | None = None) -> ServiceSpec:
    metadata = new_metadata()
    add_messaging_tables(metadata)
    return ServiceSpec(
        name=name,
        title="故障演示",
        metadata=metadata,
        migrations_dir=REPO,
        routers=[failures],
        subscriptions=subscriptions or {},
        exception_handlers={Gone: on_gone},
    )


@pytest.fixture
def failing_client(embedded_settings: Settings) -> Iterator[TestClient]:
    runtime = ServiceRuntime(failing_spec(), embedded_settings, create_bus(embedded_settings))
    with TestClient(create_service_app(runtime)) as client:
        yield client
    runtime.dispose()


@pytest.mark.parametrize(
    ("path", "retry_after", "words"),
    [
        ("/lost", "1", "连接中断"),
        ("/refused", "5", "无法连接"),
        ("/shutting-down", "5", "无法连接"),
        ("/pool", "5", "繁忙"),
        ("/dependency", "5", "无法连接"),
        ("/rewrapped-domain", "5", "无法连接"),
        ("/rewrapped-http", "5", "无法连接"),
    ],
)
def test_a_request_that_cannot_reach_the_database_gets_503_with_retry_after(
    failing_client: TestClient, path: str, retry_after: str, words: str
) -> None:
    answer = failing_client.get(path)
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == retry_after
    assert words in answer.json()["detail"] and "请稍后重试" in answer.json()["detail"]


def test_a_real_fault_is_a_500_in_json_and_logged(
    failing_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="shared.web"):
        for path in ("/bug", "/constraint"):
            answer = failing_client.get(path)
            assert answer.status_code == 500
            assert answer.json() == {
                "detail": "服务内部错误，已记录在案，请联系系统管理员",
                "code": "internal",
            }
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [
        ZeroDivisionError,
        IntegrityError,
    ]
    # The handlers a service declares still answer what they answer.
    assert failing_client.get("/gone").status_code == 404
    # An error raised ``from None`` says it is not about the database.
    assert failing_client.get("/rewrapped-from-none").status_code == 409


def test_outages_are_told_from_faults() -> None:
    assert outage_of(psycopg.errors.CannotConnectNow("the database system is starting up")) == (
        Outage.UNREACHABLE
    )
    assert outage_of(psycopg.errors.TooManyConnections("too many clients")) == Outage.UNREACHABLE
    assert outage_of(psycopg.InterfaceError("the connection is closed")) == Outage.LOST
    assert outage_of(psycopg.errors.UndefinedTable("relation does not exist")) is None
    assert outage_of(psycopg.errors.DeadlockDetected("deadlock detected")) is None
    assert outage_of(RuntimeError("no database here")) is None


# -- readiness ----------------------------------------------------------------------------


def silent_port() -> Iterator[int]:
    """A port that takes TCP connections and never answers: a hung server, which costs a
    client its whole timeout (a refused connection fails at once)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield server.getsockname()[1]


@pytest.fixture
def hung_port() -> Iterator[int]:
    yield from silent_port()


def test_readiness_is_bounded_and_asks_a_hung_part_once_at_a_time() -> None:
    calls: list[str] = []
    release = threading.Event()

    def hangs() -> None:
        calls.append("bus")
        release.wait(30)

    def refuses() -> None:
        calls.append("database")
        raise ConnectionRefusedError

    readiness = Readiness(
        [Check("database", "数据库", refuses), Check("bus", "消息总线", hangs)],
        timeout_s=0.5,
        ttl_s=0.3,
    )
    try:
        began = time.monotonic()
        report = readiness.report()
        assert time.monotonic() - began < 0.9
        assert not report.ready
        assert report.checks == {
            "database": "数据库不可用（ConnectionRefusedError）",
            "bus": "消息总线无应答（超过 0.5 秒）",
        }
        assert "数据库不可用" in report.detail and "消息总线无应答" in report.detail
        assert readiness.report() is report, "kept for ttl_s"
        time.sleep(0.35)
        began = time.monotonic()
        readiness.report()
        assert time.monotonic() - began < 0.3, "the hung one has had its time already"
        assert calls.count("database") == 2 and calls.count("bus") == 1, "the hung one runs on"
        release.set()
        time.sleep(0.35)
        wait_until(lambda: readiness.report().checks["bus"] == "正常", 3, "the bus to answer")
    finally:
        release.set()


def test_readyz_answers_within_2_s_when_the_database_and_kafka_hang(
    embedded_settings: Settings, hung_port: int
) -> None:
    """The real clients against a server that never answers: KafkaBus.ping would take 30 s,
    a database connect its connect_timeout."""
    database = create_engine(
        f"postgresql+psycopg://duban@127.0.0.1:{hung_port}/duban",
        connect_args={"connect_timeout": 3},
    )
    readiness = Readiness(
        [
            Check("database", "数据库", lambda: ping(database)),
            Check("bus", "消息总线", KafkaBus(f"127.0.0.1:{hung_port}").ping),
        ]
    )
    began = time.monotonic()
    report = readiness.report()
    elapsed = time.monotonic() - began
    assert elapsed < 2.0, elapsed
    assert set(report.checks.values()) == {
        "数据库无应答（超过 1.5 秒）",
        "消息总线无应答（超过 1.5 秒）",
    }

    # Through a service's own /readyz: only Kafka down (the database is SQLite).
    embedded_settings.data_dir.mkdir(parents=True)
    runtime = ServiceRuntime(failing_spec(), embedded_settings, KafkaBus(f"127.0.0.1:{hung_port}"))
    with TestClient(create_service_app(runtime)) as client:
        began = time.monotonic()
        answer = client.get("/readyz")
        elapsed = time.monotonic() - began
        assert elapsed < 2.0, elapsed
        assert answer.status_code == 503
        assert answer.json()["checks"] == {
            "database": "正常",
            "bus": "消息总线无应答（超过 1.5 秒）",
        }
        began = time.monotonic()
        assert client.get("/readyz").json() == answer.json()
        assert time.monotonic() - began < 0.2, "the answer is kept: a probe storm costs nothing"
    runtime.dispose()
    database.dispose()


def test_a_hung_database_fails_a_connect_within_seconds(hung_port: int) -> None:
    began = time.monotonic()
    with pytest.raises(OperationalError) as failed:
        make_engine(f"postgresql+psycopg://duban@127.0.0.1:{hung_port}/duban", "tasks")
    assert time.monotonic() - began < 6.0
    assert outage_of(failed.value) == Outage.UNREACHABLE


def test_readyz_names_a_consumer_that_does_not_consume(embedded_settings: Settings) -> None:
    """A consumer that says it is not consuming makes the service not ready, and says why."""

    class Stalled:
        def health(self) -> str | None:
            return "消费组 g 有分区无人消费，正在重新加入"

    spec = failing_spec("consuming", {"document.published": lambda _s, _e: None})
    runtime = ServiceRuntime(spec, embedded_settings, create_bus(embedded_settings))
    runtime._consumer = Stalled()  # type: ignore[assignment]
    with TestClient(create_service_app(runtime)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["consumer"] == "消费组 g 有分区无人消费，正在重新加入"
    runtime.dispose()


# -- the outbox relay after a failure ----------------------------------------------------


class FlakyBus:
    """A bus that refuses while ``down`` is set, counting every attempt."""

    def __init__(self) -> None:
        self.down = threading.Event()
        self.attempts = 0
        self.published: list[str] = []

    def publish(self, _topic: str, records: Sequence[Publishable]) -> None:
        self.attempts += 1
        if self.down.is_set():
            raise ConnectionError("broker down")
        self.published.extend(r.key for r in records)


@pytest.fixture
def relay_world(tmp_path: Path) -> Iterator[tuple[OutboxRelay, FlakyBus, Callable[[str], None]]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}", "relay")
    OUTBOX.metadata.create_all(engine, tables=[OUTBOX])
    bus = FlakyBus()
    relay = OutboxRelay("intake", engine, bus, "t", interval_s=30.0)  # type: ignore[arg-type]

    def commit(document_id: str) -> None:
        """A commit with an event, waking the relay as the runtime's after_commit hook does."""
        with engine.begin() as conn:
            conn.execute(
                OUTBOX.insert(),
                {
                    "event_id": document_id,
                    "type": "document.published",
                    "version": 1,
                    "key": document_id,
                    "payload": b"{}",
                    "created_at": datetime.now(UTC),
                },
            )
        relay.wake()

    relay.start()
    yield relay, bus, commit
    relay.stop()
    engine.dispose()


def test_a_commit_wakes_the_relay_out_of_its_back_off(
    relay_world: tuple[OutboxRelay, FlakyBus, Callable[[str], None]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _relay, bus, commit = relay_world
    monkeypatch.setattr("shared.messaging.outbox.BACKOFF_FIRST_S", 20.0)
    monkeypatch.setattr("shared.messaging.outbox.BACKOFF_MAX_S", 20.0)
    time.sleep(1.0)  # the relay's first pass (nothing to send) is over: it waits for a wake
    bus.down.set()
    commit("d1")
    wait_until(lambda: bus.attempts == 1, 5, "the first, failing attempt")
    # A wake from d1's own commit may land during the first attempt and buy one more, after
    # RETRY_GAP_S: let it fail too, while the broker is still down.
    time.sleep(0.5)
    bus.down.clear()  # the broker is back; the relay sleeps a 20 s back-off …
    time.sleep(0.5)
    assert bus.attempts <= 2 and bus.published == []
    began = time.monotonic()
    commit("d2")  # … until a commit wakes it
    wait_until(lambda: bus.published == ["d1", "d2"], 5, "both events")
    assert time.monotonic() - began < 3.0, "woken, not the 20 s back-off slept out"


def test_a_failing_bus_is_not_asked_in_a_hot_loop_however_often_commits_wake_it(
    relay_world: tuple[OutboxRelay, FlakyBus, Callable[[str], None]],
) -> None:
    relay, bus, commit = relay_world
    bus.down.set()
    commit("d1")
    until = time.monotonic() + 1.0
    while time.monotonic() < until:
        relay.wake()
        time.sleep(0.001)
    assert 2 <= bus.attempts <= 6, bus.attempts  # one per RETRY_GAP_S (0.25 s) at most
    bus.down.clear()
    commit("d2")
    wait_until(lambda: bus.published == ["d1", "d2"], 2, "both events once the bus is back")


# -- PostgreSQL stopped under running services -------------------------------------------

ADMIN = "degrade-admin-token-0123456789"
NOTICE = {
    "title": "甲县2022年重点工作任务分解",
    "year": 2022,
    "tasks": [
        {
            "number": "1",
            "text": "推进街道社区服务中心建设，建成服务中心12个以上。",
            "lead_units": ["县民政局"],
            "deadlines": [{"phrase": "年底前", "date": "2022-12-31"}],
        }
    ],
}
UNIT = "县民政局"


@pytest.fixture
def cluster() -> Iterator[Postgres]:
    """A PostgreSQL cluster of this test's own, which it may stop and start."""
    initdb = find_initdb()
    if initdb is None:
        reason = "PostgreSQL's initdb not found (install postgresql)"
        if IN_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    made = make_postgres(initdb)
    try:
        yield made
    finally:
        made.destroy()


def serve(service: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "duban", "serve", service, "--port", str(port)],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def pending_events(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sum(
                conn.execute(
                    text(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL")
                ).scalar_one()
                for schema in ("intake", "tasks")
            )
    finally:
        engine.dispose()


def test_postgresql_stopped_every_request_gets_503_and_all_recovers_by_itself(
    cluster: Postgres, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    env = {
        "DUBAN_DATABASE_URL": cluster.url,
        "DUBAN_BUS": "kafka",
        "DUBAN_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "DUBAN_KAFKA_PARTITIONS": "1",
        "DUBAN_TOPIC_PREFIX": topic_prefix,
        "DUBAN_TASKS_ADMIN_TOKEN": ADMIN,
        "DUBAN_RELAY_INTERVAL_S": "0.1",
        "DUBAN_DATA_DIR": str(tmp_path / "var"),
        "DUBAN_LOG_LEVEL": "warning",
    }
    ports = {"intake": free_port(), "tasks": free_port()}
    processes = {name: serve(name, port, env) for name, port in ports.items()}
    admin = {"Authorization": f"Bearer {ADMIN}"}
    intake = httpx.Client(base_url=f"http://127.0.0.1:{ports['intake']}", timeout=10, headers=admin)
    tasks = httpx.Client(base_url=f"http://127.0.0.1:{ports['tasks']}", timeout=10, headers=admin)
    try:
        for client in (intake, tasks):
            wait_until(lambda c=client: _answers(c, "/readyz", 200), 60, "the services")
        requests = _before_the_outage(intake, tasks)

        cluster.stop()
        for _round in range(2):  # first meeting dropped pooled connections, then refusals
            for name, send in requests.items():
                answer = send()
                assert answer.status_code == 503, f"{name}: {answer.status_code} {answer.text}"
                assert int(answer.headers["Retry-After"]) >= 1, name
                assert "数据库" in answer.json()["detail"], name
        for client in (intake, tasks):
            wait_until(lambda c=client: _readyz_names_the_database(c), 5, "readyz to say so")

        cluster.start()
        for name, send in requests.items():
            wait_until(lambda s=send: s().status_code < 300, 15, f"{name} to work again")
        for client in (intake, tasks):
            wait_until(lambda c=client: _answers(c, "/readyz", 200), 5, "ready again")
        titles = [d["title"] for d in intake.get("/documents").json()]
        assert titles.count(NOTICE["title"]) == 1 and len(titles) == 2, "the 503s wrote nothing"
        wait_until(lambda: pending_events(cluster.url) == 0, 10, "the outboxes to drain")
    finally:
        intake.close()
        tasks.close()
        for process in processes.values():
            process.send_signal(signal.SIGINT)
        for name, process in processes.items():
            try:
                output, _ = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
            print(f"--- duban serve {name} ---", output.decode(errors="replace"), sep="\n")


def _answers(client: httpx.Client, path: str, status: int) -> bool:
    try:
        return client.get(path).status_code == status
    except httpx.HTTPError:
        return False


def _readyz_names_the_database(client: httpx.Client) -> bool:
    began = time.monotonic()
    answer = client.get("/readyz")
    assert time.monotonic() - began < 2.0
    if answer.status_code == 200:
        return False  # the answer of just before the stop, kept for a moment
    assert answer.status_code == 503
    assert answer.json()["checks"]["database"].startswith("数据库")
    return True


def _before_the_outage(
    intake: httpx.Client, tasks: httpx.Client
) -> dict[str, Callable[[], httpx.Response]]:
    """A published notice, its task in the tasks service, a unit token for it; then the
    requests to send during the outage and after it, each a callable."""
    document = intake.post("/documents", json=NOTICE).json()
    assert intake.post(f"/documents/{document['id']}/publish").status_code == 200
    listed: list[dict[str, Any]] = []

    def arrived() -> bool:
        listed[:] = tasks.get("/tasks", params={"government": "default"}).json()
        return bool(listed)

    wait_until(arrived, 30, "the task to arrive")
    task_id = listed[0]["id"]
    put = tasks.put(
        f"/directory/units/{UNIT}", params={"government": "default"}, json={"kind": "unit"}
    )
    assert put.status_code == 200, put.text
    issued = tasks.post(
        "/tokens", json={"name": "民政", "role": "unit", "government_id": "default", "unit": UNIT}
    )
    assert issued.status_code == 201, issued.text
    unit = {"Authorization": f"Bearer {issued.json()['token']}"}
    notice = (REPO / "examples" / "qingchuan-2026-notice.txt").read_bytes()
    report = {"unit": UNIT, "done": "开工建设", "percent": 10}
    return {
        "tasks list": lambda: tasks.get("/tasks", params={"government": "default"}),
        "task": lambda: tasks.get(f"/tasks/{task_id}"),
        "units": lambda: tasks.get("/directory/units", params={"government": "default"}),
        "progress report": lambda: tasks.post(
            f"/tasks/{task_id}/progress",
            json=report,
            headers=unit | {"Idempotency-Key": "during-the-outage"},
        ),
        "documents": lambda: intake.get("/documents"),
        "upload": lambda: intake.post(
            "/documents/upload", files={"file": ("notice.txt", notice, "text/plain")}
        ),
        "publish": lambda: intake.post(f"/documents/{document['id']}/publish"),
    }
