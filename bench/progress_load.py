"""Progress submission throughput and latency on PostgreSQL, side by side with a bare FastAPI
endpoint in the same run (both served by uvicorn with uvloop + httptools, N workers; load
from wrk on loopback).

    scripts/infra.sh start && eval "$(scripts/infra.sh env)"
    .venv/bin/python bench/progress_load.py [--seconds 15] [--runs 3] [--workers 2]

Needs DUBAN_TEST_PG_URL (and uses Kafka when DUBAN_TEST_KAFKA_BOOTSTRAP is set) and wrk
(apt-get install wrk). Prints the median requests/s, p50 and p99 of each, and their ratio.

The 1,000 tasks start as a notice leaves them: assigned, nobody has reported yet. A warm-up
run, not counted, gives each its first report (which moves the task to 在办); the measured
runs are the year's steady state, units reporting on tasks under way. ``--percent steady``
(the default) has each task's unit report the same figure every time; ``--percent random``
any figure, so that most reports move the task's colour (each move is audited and announced:
half again as many events).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from services.tasks.access.models import ApiToken  # noqa: E402
from services.tasks.access.tokens import issued_event  # noqa: E402
from services.tasks.lifecycle.models import Assignment, Task  # noqa: E402
from services.tasks.progress.models import ProgressReport  # noqa: E402
from services.tasks.registration.models import Document, ReportingRound  # noqa: E402
from services.tasks.spec import SPEC  # noqa: E402
from shared.config import Settings  # noqa: E402
from shared.identity.credentials import on_token_issued  # noqa: E402
from shared.identity.verify import hash_token  # noqa: E402
from shared.service import ServiceRuntime  # noqa: E402

TASKS, UNITS, GOV = 1000, 100, "bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database(admin_url: str) -> str:
    name = f"duban_load_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def seed(settings: Settings) -> ServiceRuntime:
    service = ServiceRuntime(SPEC, settings, bus=None)  # type: ignore[arg-type]
    service.migrate()
    now = datetime.now(UTC)
    with service.sessions.begin() as session:
        session.add(
            Document(
                id="bench-doc", government_id=GOV, title="压测", year=now.year, published_at=now
            )
        )
        session.add(
            ReportingRound(
                government_id=GOV,
                document_id="bench-doc",
                period="Y",
                due_date=date(now.year, 12, 31),
            )
        )
        for i in range(TASKS):
            session.add(
                Task(
                    id=f"bench-task-{i}",
                    government_id=GOV,
                    document_id="bench-doc",
                    number=str(i),
                    text="压测任务",
                    year=now.year,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.flush()
        for i in range(TASKS):
            session.add(
                Assignment(
                    task_id=f"bench-task-{i}",
                    unit=f"bench-unit-{i % UNITS}",
                    role="lead",
                    updated_at=now,
                )
            )
        for u in range(UNITS):
            token = ApiToken(
                token_hash=hash_token(f"bench-unit-{u}"),
                name=f"unit-{u}",
                role="unit",
                government_id=GOV,
                unit=f"bench-unit-{u}",
                created_at=now,
            )
            session.add(token)
            session.flush()
            on_token_issued(session, issued_event(token))  # the copy requests are verified from
    return service


def start_server(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        args,
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server on {port} did not start")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def wrk(port: int, seconds: int, connections: int) -> tuple[float, float, float, int]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(REPO / "bench" / "progress_load.lua"),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def percentile(p: int) -> float:
        found = re.search(rf"{p}%\s+([\d.]+)(us|ms|s)", out)
        assert found, out
        return float(found.group(1)) * scale[found.group(2)]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, percentile(50), percentile(99), int(errors.group(1)) if errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=10, help="seconds, not counted")
    parser.add_argument(
        "--percent",
        choices=["steady", "random"],
        default="steady",
        help="steady: each task's figure is the same in every report; random: any figure",
    )
    args = parser.parse_args()
    os.environ["DUBAN_BENCH_PERCENT"] = args.percent  # read by progress_load.lua
    pg = os.environ.get("DUBAN_TEST_PG_URL")
    if not pg:
        sys.exit('set DUBAN_TEST_PG_URL (scripts/infra.sh start; eval "$(scripts/infra.sh env)")')
    url = fresh_database(pg)
    kafka = os.environ.get("DUBAN_TEST_KAFKA_BOOTSTRAP")
    tmp = tempfile.mkdtemp()
    env = {
        "DUBAN_DATABASE_URL": url,
        "DUBAN_DATA_DIR": tmp,
        "DUBAN_LOG_LEVEL": "warning",
        "DUBAN_TOPIC_PREFIX": f"load{uuid.uuid4().hex[:6]}",
        **({"DUBAN_BUS": "kafka", "DUBAN_KAFKA_BOOTSTRAP": kafka} if kafka else {}),
    }
    service = seed(Settings(database_url=url, data_dir=Path(tmp)))
    duban_port, bare_port = free_port(), free_port()
    duban = start_server(
        [
            sys.executable,
            "-m",
            "duban",
            "serve",
            "tasks",
            "--port",
            str(duban_port),
            "--workers",
            str(args.workers),
        ],
        env,
        duban_port,
    )
    bare = start_server(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_app:app",
            "--port",
            str(bare_port),
            "--workers",
            str(args.workers),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
        ],
        {},
        bare_port,
    )
    results: dict[str, list[tuple[float, float, int]]] = {"bare": [], "duban": []}
    try:
        wrk(bare_port, args.warmup, args.connections)
        warm = wrk(duban_port, args.warmup, args.connections)
        print(f"warm-up (not counted): {warm[0]:.0f} submissions/s")
        for _ in range(args.runs):
            results["bare"].append(wrk(bare_port, args.seconds, args.connections))
            results["duban"].append(wrk(duban_port, args.seconds, args.connections))
    finally:
        stop_server(duban)
        stop_server(bare)
    with service.sessions() as session:
        stored = session.scalar(select(func.count()).select_from(ProgressReport))
    print(
        f"\nprogress submissions on PostgreSQL ({'Kafka' if kafka else 'in-process bus'}), "
        f"{args.workers} workers, wrk -c{args.connections}, {args.runs} runs of "
        f"{args.seconds}s, medians; figures reported: {args.percent}"
    )
    print(f"{'':28}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    medians = {}
    for name, runs in results.items():
        rps = statistics.median(r[0] for r in runs)
        p50 = statistics.median(r[1] for r in runs)
        p99 = statistics.median(r[2] for r in runs)
        medians[name] = rps
        label = "bare FastAPI endpoint" if name == "bare" else "POST /tasks/{id}/progress"
        print(f"{label:28}{rps:>9.0f}{p50:>9.1f}{p99:>9.1f}{sum(r[3] for r in runs):>9}")
    print(f"{'duban / bare':28}{medians['duban'] / medians['bare']:>9.2f}")
    print(f"reports stored: {stored}")


if __name__ == "__main__":
    main()
