"""A small harness for fault tests: the four services as separate ``duban serve`` processes
on free ports with one environment, each in its own process group so that a ``kill -9``
takes the whole of it, as an OOM killer or a pulled plug would; HTTP helpers that retry as
an OA system does; a throwaway PostgreSQL cluster to stop; the broker to pause; and the
ledger, which matches every service's outbox against the inboxes of its subscribers by event
id, the way an auditor would check that nothing was lost and nothing doubled.

It counts what a user counts through the APIs (tasks, assignments, notices, reports) and
what only the database can tell (each event id in each subscriber's inbox once)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from helpers import free_port
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

REPO = Path(__file__).resolve().parent.parent
SERVICES = ("intake", "tasks", "notify", "reporting")


# -- the processes ------------------------------------------------------------------------


@dataclass
class Served:
    """One service's process; its port stays the same across restarts so clients need not
    be told, as behind a load balancer."""

    name: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Duban:
    """The services of one deployment, started, killed and restarted by name.

    Every process gets ``start_new_session``: its pid is its process group, so a kill
    reaches any child it made, and the test's own group is never touched."""

    def __init__(self, env: Mapping[str, str], log_dir: Path, names: Sequence[str] = SERVICES):
        log_dir.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "PYTHONPATH": str(REPO), **env}
        self.env.pop("PGAPPNAME", None)  # set per service in ``launch``
        self.services = {n: Served(n, free_port(), log_dir / f"{n}.log") for n in names}

    def __enter__(self) -> Duban:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def url(self, name: str) -> str:
        return self.services[name].url

    def launch(self, name: str) -> None:
        served = self.services[name]
        assert not served.running(), f"{name} runs already"
        served.starts += 1
        with served.log.open("ab") as log:
            log.write(f"\n===== start {served.starts} of {name} =====\n".encode())
            log.flush()
            served.process = subprocess.Popen(
                [sys.executable, "-m", "duban", "serve", name, "--port", str(served.port)],
                cwd=REPO,
                # libpq names each service's connections: the test can tell whose
                # transaction it sees in pg_stat_activity (``relay_in_flight``).
                env={**self.env, "PGAPPNAME": f"duban-{name}"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_up(self, name: str, timeout: float = 90.0) -> None:
        """Until the service answers /healthz (its lifespan has run: migrated, consumer and
        relay started). /readyz is not asked: with the broker or database down it may not
        be ready, and these tests want it to answer anyway."""
        served = self.services[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not served.running():
                raise AssertionError(f"{name} exited while starting:\n{self.tail(name)}")
            try:
                if httpx.get(f"{served.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{name} did not come up in {timeout}s:\n{self.tail(name)}")

    def start(self, *names: str) -> None:
        for name in names or tuple(self.services):
            self.launch(name)
        for name in names or tuple(self.services):
            self.wait_up(name)

    def kill(self, name: str) -> None:
        """``kill -9`` the service's whole process group, and reap it."""
        served = self.services[name]
        if served.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(served.process.pid, signal.SIGKILL)
        served.process.wait(timeout=30)
        with served.log.open("ab") as log:
            log.write(f"\n===== killed -9 ({name}) =====\n".encode())

    def restart(self, name: str) -> None:
        self.kill(name)
        self.launch(name)
        self.wait_up(name)

    def stop(self) -> None:
        """Stop everything, gracefully first (SIGINT), then by force: never leaves a
        process behind, whatever state the test ended in."""
        running = [s for s in self.services.values() if s.running()]
        for served in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(served.process.pid, signal.SIGINT)  # type: ignore[union-attr]
        deadline = time.monotonic() + 20
        for served in running:
            assert served.process is not None
            with contextlib.suppress(subprocess.TimeoutExpired):
                served.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(served.process.pid, signal.SIGKILL)  # children it may have left
            served.process.wait(timeout=30)

    def tail(self, name: str, lines: int = 150) -> str:
        log = self.services[name].log
        if not log.exists():
            return "(no log)"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def print_logs(self, lines: int = 150) -> None:
        """The end of every service's log; pytest shows it when the test failed."""
        for name in self.services:
            print(f"----- duban serve {name} (last {lines} lines) -----")
            print(self.tail(name, lines))


# -- HTTP as a user and an OA system --------------------------------------------------------


def is_retryable(answer: httpx.Response) -> bool:
    """What the README tells a client to retry: a 503 (database away), any 5xx, and the
    409 of a task that others kept changing ("请稍后重试")."""
    if answer.status_code >= 500:
        return True
    return answer.status_code == 409 and "稍后重试" in answer.text


@dataclass
class Sent:
    """What one request cost: attempts, and how it ended."""

    status: int
    attempts: int
    body: Any = None


def send_until_done(
    send: Callable[[], httpx.Response], deadline_s: float = 120.0, pause_s: float = 0.2
) -> Sent:
    """Send until the service takes it: refused connections (a killed service), dropped
    answers and retryable statuses are retried with the same request (so the same
    ``Idempotency-Key``); any other answer is final."""
    attempts = 0
    deadline = time.monotonic() + deadline_s
    while True:
        attempts += 1
        try:
            answer = send()
        except httpx.HTTPError:
            answer = None
        if answer is not None and not is_retryable(answer):
            body = answer.json() if answer.content else None
            return Sent(answer.status_code, attempts, body)
        if time.monotonic() > deadline:
            status = answer.status_code if answer is not None else 0
            return Sent(status, attempts, answer.text if answer is not None else "no answer")
        time.sleep(pause_s)


@dataclass
class Report:
    """One progress report an OA system owes: its key is fixed before the first attempt."""

    task_id: str
    unit: str
    key: str
    percent: int

    def body(self) -> dict[str, Any]:
        return {"unit": self.unit, "percent": self.percent, "done": f"报送{self.key}"}


@dataclass
class Reporting:
    """Reports sent from a few threads, each retried until stored; what happened is kept
    for the assertions (every one stored, how many came back as "already stored")."""

    url: Callable[[], str]
    token: str
    pace_s: float = 0.0  # between two reports of a thread: reporting spread over time
    results: dict[str, Sent] = field(default_factory=dict)
    sent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send_all(self, reports: Sequence[Report], threads: int = 4) -> None:
        chunks = [reports[n::threads] for n in range(threads)]
        with ThreadPoolExecutor(threads) as pool:
            for done in [pool.submit(self._send_chunk, chunk) for chunk in chunks]:
                done.result()

    def _send_chunk(self, reports: Sequence[Report]) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(timeout=10, headers=headers) as client:
            for report in reports:

                def post(r: Report = report) -> httpx.Response:
                    return client.post(
                        f"{self.url()}/tasks/{r.task_id}/progress",
                        json=r.body(),
                        headers={"Idempotency-Key": r.key},
                    )

                outcome = send_until_done(post)
                with self._lock:
                    self.results[report.key] = outcome
                    self.sent += 1
                time.sleep(self.pace_s)

    def summary(self) -> dict[str, int]:
        statuses = Counter(str(s.status) for s in self.results.values())
        return {
            "reports": len(self.results),
            "retried": sum(1 for s in self.results.values() if s.attempts > 1),
            **{f"http_{k}": v for k, v in sorted(statuses.items())},
        }


def notice(title: str, count: int, units: tuple[str, str], year: int = 2027) -> dict[str, Any]:
    """A notice of ``count`` tasks, each with a lead and a responsible unit (two assignments,
    two notices owed) and a deadline far enough ahead that no reminder falls due."""
    lead, responsible = units
    return {
        "title": title,
        "year": year,
        "tasks": [
            {
                "number": str(n),
                "text": f"{title}第{n}项：推进重点项目建设，完成投资{n}亿元以上。",
                "lead_units": [lead],
                "responsible_units": [responsible],
                "deadlines": [{"phrase": "年底前", "date": f"{year}-12-31"}],
            }
            for n in range(1, count + 1)
        ],
    }


@dataclass
class Counts:
    """What a user counts of one notice: through the tasks and notify APIs."""

    tasks: int
    assignments: int
    notices: int
    task_ids: list[str] = field(repr=False)

    def as_dict(self) -> dict[str, int]:
        return {"tasks": self.tasks, "assignments": self.assignments, "notices": self.notices}


def tasks_of(tasks: httpx.Client, document_id: str) -> list[dict[str, Any]]:
    listed = tasks.get(
        "/tasks", params={"government": "default", "document_id": document_id, "limit": 1000}
    )
    listed.raise_for_status()
    return listed.json()


def count_notice(tasks: httpx.Client, notify: httpx.Client, document_id: str) -> Counts:
    """Tasks of the notice, their assignments (each task's detail: rows, not the deduplicated
    unit list) and the 交办 notices notify owes for them."""
    listed = tasks_of(tasks, document_id)
    ids = [t["id"] for t in listed]

    def assignments(task_id: str) -> int:
        answer = tasks.get(f"/tasks/{task_id}")
        answer.raise_for_status()
        return len(answer.json()["assignments"])

    with ThreadPoolExecutor(4) as pool:
        assigned = sum(pool.map(assignments, ids))
    owed = notify.get("/notices", params={"kind": "task_assigned"})
    owed.raise_for_status()
    wanted = set(ids)
    notices = sum(1 for n in owed.json() if n["task_id"] in wanted)
    return Counts(len(ids), assigned, notices, ids)


def reports_of(tasks: httpx.Client, task_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Every stored report of these tasks, as the bureau sees them in each task's detail."""

    def reports(task_id: str) -> list[dict[str, Any]]:
        answer = tasks.get(f"/tasks/{task_id}")
        answer.raise_for_status()
        return answer.json()["reports"]

    with ThreadPoolExecutor(4) as pool:
        return [r for found in pool.map(reports, task_ids) for r in found]


# -- the ledger: outboxes against inboxes --------------------------------------------------


def subscriptions() -> dict[str, set[str]]:
    """Each service's subscribed event types, from the specs the processes run."""
    from duban.services import load_spec

    return {name: set(load_spec(name).subscriptions) for name in SERVICES}


@dataclass
class Ledger:
    """Every outbox, inbox and parked row of every service, by event id."""

    outbox: dict[str, list[tuple[str, str, bool]]]  # service -> (event_id, type, published)
    inbox: dict[str, list[str]]
    parked: dict[str, list[tuple[str, str]]]  # service -> (event_id, reason), live ones

    def problems(self, subscribed: Mapping[str, set[str]]) -> list[str]:
        """What is wrong: unpublished rows, an id twice, an event a subscriber never got (and
        did not park), an inbox id no outbox wrote. Empty when all is well."""
        found: list[str] = []
        every = {e for rows in self.outbox.values() for e, _t, _p in rows}
        for service, rows in self.outbox.items():
            pending = [e for e, _t, published in rows if not published]
            if pending:
                found.append(f"{service}: {len(pending)} outbox rows not published")
            twice = [e for e, n in Counter(e for e, _t, _p in rows).items() if n > 1]
            if twice:
                found.append(f"{service}: outbox event ids twice: {twice[:5]}")
        for consumer, ids in self.inbox.items():
            twice = [e for e, n in Counter(ids).items() if n > 1]
            if twice:
                found.append(f"{consumer}: inbox event ids twice: {twice[:5]}")
            got = set(ids)
            parked = {e for e, _r in self.parked.get(consumer, [])}
            wanted = {
                e
                for rows in self.outbox.values()
                for e, kind, _p in rows
                if kind in subscribed.get(consumer, set())
            }
            missing = wanted - got - parked
            if missing:
                found.append(
                    f"{consumer}: {len(missing)} events never consumed, e.g. {min(missing)}"
                )
            foreign = got - every
            if foreign:
                found.append(f"{consumer}: {len(foreign)} inbox ids no outbox wrote")
        return found

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            service: {
                "outbox": len(self.outbox[service]),
                "inbox": len(self.inbox[service]),
                "parked": len(self.parked[service]),
            }
            for service in self.outbox
        }

    def outbox_types(self, service: str) -> Counter[str]:
        return Counter(kind for _e, kind, _p in self.outbox[service])


def read_ledger(url: str, names: Sequence[str] = SERVICES) -> Ledger:
    """Straight from the services' schemas (NullPool: no connection is kept, so a cluster
    the test stops has nothing of ours open)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            outbox = {
                n: [
                    (e, t, p)
                    for e, t, p in conn.execute(
                        text(f'SELECT event_id, type, published_at IS NOT NULL FROM "{n}".outbox')
                    )
                ]
                for n in names
            }
            inbox = {
                n: list(conn.scalars(text(f'SELECT event_id FROM "{n}".inbox'))) for n in names
            }
            parked = {
                n: [
                    (e, r)
                    for e, r in conn.execute(
                        text(
                            f'SELECT event_id, reason FROM "{n}".parked_event '
                            "WHERE discarded_at IS NULL"
                        )
                    )
                ]
                for n in names
            }
    finally:
        engine.dispose()
    return Ledger(outbox, inbox, parked)


def settled_ledger(url: str, timeout: float = 90.0) -> Ledger:
    """The ledger once it has no problems; on timeout, the problems it still has."""
    subscribed = subscriptions()
    deadline = time.monotonic() + timeout
    while True:
        try:
            ledger = read_ledger(url)
            problems = ledger.problems(subscribed)
        except Exception as exc:  # the database still starting, say
            ledger, problems = None, [repr(exc)]
        if not problems and ledger is not None:
            return ledger
        if time.monotonic() > deadline:
            raise AssertionError(f"the ledger did not settle in {timeout}s: {problems}")
        time.sleep(0.5)


class TopicCounter:
    """Counts a topic's records again and again on one connection (the watermarks: a record
    counts once the broker has it, before the producer hears so)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        from kafka import KafkaConsumer
        from kafka.structs import TopicPartition

        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap.split(","), client_id="faults-watch"
        )
        partitions = self._consumer.partitions_for_topic(topic) or set()
        self._partitions = [TopicPartition(topic, p) for p in partitions]

    def count(self) -> int:
        return sum(self._consumer.end_offsets(self._partitions).values())

    def close(self) -> None:
        self._consumer.close()


def topic_records(bootstrap: str, topic: str) -> int:
    """How many records the topic holds (nothing is deleted in a test's lifetime): beside
    the publisher's outbox rows, how many were published twice."""
    counter = TopicCounter(bootstrap, topic)
    try:
        return counter.count()
    finally:
        counter.close()


RELAY_IN_FLIGHT = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND application_name = :app AND state = 'idle in transaction' "
    "AND backend_xid IS NOT NULL AND query LIKE '%published_at IS NULL%FOR UPDATE%'"
)


def wait_for_relay(url: str, service: str, timeout: float = 10.0) -> bool:
    """Until the service's outbox relay is between taking its rows (``SELECT … FOR UPDATE``
    that locked some: the transaction has an id) and marking them published: it is talking
    to the broker, the moment a crash makes it publish them again. False if not seen."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if conn.execute(RELAY_IN_FLIGHT, {"app": f"duban-{service}"}).scalar_one():
                    return True
                conn.rollback()  # a fresh snapshot of the statistics each time
                time.sleep(0.002)
    finally:
        engine.dispose()
    return False


class RelayWatch:
    """Catches a service's relay between sending a batch to Kafka and marking its rows, and
    kills the service there: the moment a crash makes a relay publish twice.

    Made (connected to Kafka, the baseline counted) before the action that sets the relay
    off: connecting takes longer than a relay takes."""

    def __init__(self, url: str, bootstrap: str, topic: str, service: str) -> None:
        self.service = service
        self._url = url
        self._engine = create_engine(url, poolclass=NullPool)
        self._topic = TopicCounter(bootstrap, topic)
        self._baseline = self._surplus()

    def _surplus(self) -> int:
        """Records on the topic beyond the rows marked published: constant while all is
        quiet (the duplicates of earlier crashes, records written by hand); more when the
        broker has records of a batch its relay has not marked."""
        with self._engine.connect() as conn:
            marked = conn.execute(
                text(f'SELECT count(*) FROM "{self.service}".outbox WHERE published_at IS NOT NULL')
            ).scalar_one()
        return self._topic.count() - marked

    def kill_in_window(self, duban: Duban, timeout: float) -> str:
        """Wait for the relay in flight (``wait_for_relay``), stop the process (SIGSTOP)
        and let it on in 5 ms steps until the broker has some of the batch (kill -9 there)
        or the relay has gone on to mark it (kill -9 then: the window missed). Says which."""
        pid = duban.services[self.service].process.pid  # type: ignore[union-attr]
        try:
            if not wait_for_relay(self._url, self.service, timeout):
                duban.kill(self.service)
                return "relay not seen"
            os.killpg(pid, signal.SIGSTOP)
            with self._engine.connect() as conn:
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    if self._surplus() > self._baseline:
                        duban.kill(self.service)
                        return "sent, not marked"
                    app = {"app": f"duban-{self.service}"}
                    if not conn.execute(RELAY_IN_FLIGHT, app).scalar_one():
                        duban.kill(self.service)
                        return "window missed"
                    conn.rollback()
                    os.killpg(pid, signal.SIGCONT)
                    time.sleep(0.005)
                    os.killpg(pid, signal.SIGSTOP)
            duban.kill(self.service)
            return "relay stuck"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGCONT)  # dead already, normally
            self._engine.dispose()
            self._topic.close()


# -- the infrastructure under fault ---------------------------------------------------------


def kafka_pid() -> int | None:
    """The broker scripts/infra.sh started (its pid file, under DUBAN_INFRA_DIR or
    <repo>/var/infra), if it is alive and is a Kafka broker."""
    directory = Path(os.environ.get("DUBAN_INFRA_DIR") or REPO / "var" / "infra")
    pid_file = directory / "kafka.pid"
    if not pid_file.exists():
        return None
    try:
        pid = int(pid_file.read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (ValueError, OSError):
        return None
    return pid if b"kafka.Kafka" in command else None


@contextlib.contextmanager
def broker_paused(pid: int, longest_s: float) -> Iterator[None]:
    """SIGSTOP the broker, and make sure it is resumed: by this block's end whatever
    happens in it, and by a detached watchdog after ``longest_s`` even if this process
    dies meanwhile (the broker serves other tests)."""
    watchdog = subprocess.Popen(
        ["sh", "-c", f"sleep {longest_s:.0f}; kill -CONT {pid}"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(watchdog.pid, signal.SIGKILL)
        watchdog.wait(timeout=10)


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster this process may stop and start (the shared server
    serves other tests). Run as ``postgres`` when we are root."""

    bindir: Path
    base: Path
    port: int

    @property
    def datadir(self) -> Path:
        return self.base / "pg"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://duban@127.0.0.1:{self.port}/postgres"

    def run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120, cwd="/")

    def start(self) -> None:
        log = str(self.base / "server.log")
        self.run("pg_ctl", "start", "-D", str(self.datadir), "-w", "-l", log)

    def stop(self) -> None:
        self.run("pg_ctl", "stop", "-D", str(self.datadir), "-m", "fast", "-w")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped already
            self.run("pg_ctl", "stop", "-D", str(self.datadir), "-m", "immediate")
        shutil.rmtree(self.base, ignore_errors=True)


def find_initdb() -> Path | None:
    """PostgreSQL's initdb: on the PATH, or where Debian's packages put it."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1] if found else None


def make_postgres(initdb_path: Path) -> Postgres:
    """initdb a cluster under /tmp (postgres must be able to read it) and start it."""
    base = Path(tempfile.mkdtemp(prefix="duban-faults-"))
    base.chmod(0o755)
    cluster = Postgres(initdb_path.parent, base, free_port())
    cluster.datadir.mkdir(mode=0o700)
    if os.geteuid() == 0:
        shutil.chown(cluster.datadir, "postgres", "postgres")
        shutil.chown(base, "postgres", "postgres")
    cluster.run("initdb", "-D", str(cluster.datadir), "-U", "duban", "--auth=trust", "--no-sync")
    with (cluster.datadir / "postgresql.conf").open("a") as conf:
        conf.write(
            f"\nport = {cluster.port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{cluster.datadir}'\nfsync = off\n"
            "max_connections = 300\n"
        )
    cluster.start()
    return cluster
