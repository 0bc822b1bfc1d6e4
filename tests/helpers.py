"""Small test helpers: a collecting handler, polling, and `duban run` in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from shared.contracts import Envelope
from shared.messaging.bus import Record

IN_CI = os.environ.get("CI", "").lower() == "true"  # CI: missing infra fails, never skips
BUS_PARTITIONS = 4  # of every topic the bus fixture (conftest.py) makes


def as_records(*envelopes: Envelope) -> list[Record]:
    """Envelopes as a consumer hands them to a service's subscriber: records in order."""
    return [Record("test", 0, n, e.key, e.to_bytes()) for n, e in enumerate(envelopes)]


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")


class Collector:
    """A bus handler that remembers the envelopes it was given, in order, thread-safely;
    ``on_each`` sees each one after it is remembered."""

    def __init__(self, on_each: Callable[[Envelope], None] | None = None) -> None:
        self.received: list[Envelope] = []
        self._lock = threading.Lock()
        self._on_each = on_each

    def __call__(self, records: Sequence[Record]) -> None:
        for record in records:
            envelope = Envelope.from_bytes(record.value)
            with self._lock:
                self.received.append(envelope)
            if self._on_each is not None:
                self._on_each(envelope)

    def ids(self) -> list[str]:
        with self._lock:
            return [str(e.id) for e in self.received]

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        wait_until(lambda: len(self.ids()) >= count, timeout, f"{count} records")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], Any], what: str, limit_s: float = 30.0) -> Any:
    """Poll ``check`` (an HTTP call, say) until it returns something true; return that. A
    server not yet listening counts as not yet."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            found = check()
            if found:
                return found
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


REPO = Path(__file__).resolve().parent.parent


RUN_ADMIN = "run-admin-token-0123456789"  # duban_run's bootstrap admin token, unless given


@contextmanager
def duban_run(data_dir: Path, *args: str, **env: str) -> Iterator[httpx.Client]:
    """`duban run` in a subprocess on a free port, as a user starts it (``env``: its
    DUBAN_* settings; ``args``: more arguments, e.g. ``--demo``), with an HTTP client on it
    once it answers; stopped with Ctrl-C after,
    and it must then exit cleanly. The client sends the bootstrap admin token (``env``'s, or
    ``RUN_ADMIN``), as deployment automation does; a request may send another. What the
    process prints is kept in ``<data_dir>/console.log``."""
    port = free_port()
    admin = env.get("DUBAN_ADMIN_TOKEN") or env.get("DUBAN_TASKS_ADMIN_TOKEN") or RUN_ADMIN
    settings = {
        "DUBAN_DATA_DIR": str(data_dir),
        "DUBAN_LOG_LEVEL": "warning",
        "DUBAN_ADMIN_TOKEN": admin,
        **env,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    console = (data_dir / "console.log").open("wb")  # what an operator's terminal shows
    process = subprocess.Popen(
        [sys.executable, "-m", "duban", "run", "--port", str(port), *args],
        cwd=REPO,
        env={**os.environ, **settings},
        stdout=console,
        stderr=subprocess.STDOUT,
    )
    try:
        base_url, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {admin}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=10) as http:
            wait_for(lambda: http.get("/tasks/healthz").status_code == 200, "duban run")
            yield http
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        console.close()
    output = (data_dir / "console.log").read_text(errors="replace")
    assert process.returncode == 0, output
