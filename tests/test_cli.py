"""The ``duban`` command as a newcomer and an operator use it: a real process, real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from duban.services import SERVICE_NAMES
from shared.config import Settings

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "duban", *args],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_healthy(port: int, paths: list[str], limit_s: float) -> float:
    started = time.monotonic()
    pending = set(paths)
    while pending and time.monotonic() - started < limit_s:
        for path in list(pending):
            try:
                if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code == 200:
                    pending.discard(path)
            except httpx.HTTPError:
                pass
        time.sleep(0.05)
    assert not pending, f"not healthy after {limit_s}s: {sorted(pending)}"
    return time.monotonic() - started


def stop(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output.decode(errors="replace")


def test_duban_run_answers_healthz_on_every_service_within_10_s(tmp_path: Path) -> None:
    port = free_port()
    process = start(["run", "--port", str(port)], {"DUBAN_DATA_DIR": str(tmp_path / "var")})
    try:
        elapsed = wait_healthy(port, [f"/{s}/healthz" for s in SERVICE_NAMES], 10.0)
        for service in SERVICE_NAMES:
            ready = httpx.get(f"http://127.0.0.1:{port}/{service}/readyz")
            assert ready.json() == {"status": "ready"}
            docs = httpx.get(f"http://127.0.0.1:{port}/{service}/openapi.json")
            assert docs.status_code == 200 and docs.json()["paths"]
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert {f"{s}.db" for s in SERVICE_NAMES} | {"bus.db"} <= {
        p.name for p in (tmp_path / "var").iterdir()
    }
    print(f"duban run healthy in {elapsed:.2f}s")


def test_duban_serve_runs_one_service_on_postgresql_and_kafka(
    production_settings: Settings,
) -> None:
    port = free_port()
    # Loopback trust auth ignores the password; it is there to prove it never reaches a log.
    url = make_url(production_settings.database_url or "").set(password="s3cret-pw")
    env = {
        "DUBAN_BUS": "kafka",
        "DUBAN_DATABASE_URL": url.render_as_string(hide_password=False),
        "DUBAN_KAFKA_BOOTSTRAP": production_settings.kafka_bootstrap,
        "DUBAN_TOPIC_PREFIX": production_settings.topic_prefix,
        "DUBAN_OPERATOR_TOKEN": "cli-operator-token",
    }
    process = start(["serve", "tasks", "--port", str(port)], env)
    try:
        wait_healthy(port, ["/healthz", "/readyz"], 60.0)
        assert httpx.get(f"http://127.0.0.1:{port}/tasks").status_code == 401
        metrics = f"http://127.0.0.1:{port}/metrics"
        assert httpx.get(metrics).status_code == 401, "for operators only"
        operator = {"Authorization": "Bearer cli-operator-token"}
        assert "duban_events_published_total" in httpx.get(metrics, headers=operator).text
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert "tasks database: postgresql+psycopg://" in output
    assert "s3cret-pw" not in output


def test_events_doc_is_up_to_date() -> None:
    from shared.contracts.docs import render_events_doc

    current = (REPO / "docs" / "events.md").read_text(encoding="utf-8")
    assert current == render_events_doc(), "docs/events.md is stale: run `duban events-doc`"


def test_the_services_bring_their_own_commands() -> None:
    from duban.cli import build_parser
    from services.intake.commands import parse_file, score
    from services.tasks.calendar.commands import load_holidays

    parser = build_parser()
    parsed = parser.parse_args(["parse", "notice.docx", "--json"])
    assert parsed.func is parse_file and parsed.file == "notice.docx" and parsed.json
    assert parser.parse_args(["score"]).func is score
    holidays = parser.parse_args(["holidays", "load", "2027.txt"])
    assert holidays.func is load_holidays and holidays.file == "2027.txt"
