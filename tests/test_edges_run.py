"""Issue 10's size limits against a real server: `duban run` in a subprocess, HTTP only.

A chunked 1 GB upload, a 1 GB unsigned OA push and a 200 MB JSON body are refused while
they stream: the server's peak RSS (VmHWM) grows by less than 50 MB, no temporary file it
holds grows past the limit (sampled through /proc/<pid>/fd while the request runs, TMPDIR
pointed at the test's directory) and the client is stopped long before it has sent it all.
A 5 MB notice is refused, a notice of the largest size taken is parsed within its bound, and
/healthz and an authenticated GET keep answering within a second meanwhile."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from helpers import REPO, free_port, wait_for

ADMIN = "edges-run-admin-token-0123456789"
SECRET = "edges-run-oa-secret"
GB, MB = 1 << 30, 1 << 20
UPLOAD_MB = 20  # the default DUBAN_INTAKE_MAX_UPLOAD_MB
MAX_CHARS = 200_000  # the default DUBAN_INTAKE_MAX_NOTICE_CHARS
NOTICE = (REPO / "examples" / "qingchuan-2026-notice.txt").read_text(encoding="utf-8")


class Server:
    def __init__(self, process: subprocess.Popen[bytes], url: str, tmp: Path) -> None:
        self.process, self.url, self.tmp = process, url, tmp

    def status(self, field: str) -> int:
        """A VmRSS / VmHWM figure of the server process, in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise AssertionError(field)

    def largest_temp_file(self) -> int:
        """The largest regular file under TMPDIR the process holds open (deleted or not)."""
        largest = 0
        fds = Path(f"/proc/{self.process.pid}/fd")
        with contextlib.suppress(OSError):
            for fd in fds.iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd).startswith(str(self.tmp)):
                        largest = max(largest, os.stat(fd).st_size)
        return largest


@contextlib.contextmanager
def duban_run(var: Path) -> Iterator[Server]:
    tmp = var / "tmp"
    tmp.mkdir(parents=True)
    port = free_port()
    env = {
        **os.environ,
        "DUBAN_DATA_DIR": str(var / "data"),
        "DUBAN_LOG_LEVEL": "warning",
        "DUBAN_ADMIN_TOKEN": ADMIN,
        "DUBAN_INTAKE_OA_WEBHOOK_SECRET": SECRET,
        "TMPDIR": str(tmp),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "duban", "run", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: httpx.get(f"{url}/intake/healthz").status_code == 200, "duban run")
        yield Server(process, url, tmp)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output.decode(errors="replace")[-3000:]


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN}"}


def stream(
    server: Server, path: str, total: int, headers: dict[str, str], head: bytes = b""
) -> tuple[int | None, int, int]:
    """POST ``total`` bytes (after ``head``) chunked, no Content-Length, while sampling the
    server's temporary files. Returns the status (None: the connection was cut), the bytes
    the client sent and the largest temporary file seen."""
    sent, largest, done = 0, 0, threading.Event()
    block = b"x" * MB

    def body() -> Iterator[bytes]:
        nonlocal sent
        yield head
        while sent < total:
            sent += len(block)
            yield block

    def sample() -> None:
        nonlocal largest
        while not done.is_set():
            largest = max(largest, server.largest_temp_file())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        response = httpx.post(
            server.url + path, content=body(), headers={**auth(), **headers}, timeout=60
        )
        status: int | None = response.status_code
    except httpx.TransportError:
        status = None
    finally:
        done.set()
        sampler.join()
    return status, sent, largest


def test_huge_bodies_are_refused_while_they_stream(tmp_path: Path) -> None:
    with duban_run(tmp_path / "var") as server:
        # warm up: every path taken once, so lazy imports do not count as growth
        files = {"file": ("通知.txt", NOTICE.encode())}
        warm = httpx.post(f"{server.url}/intake/documents/upload", files=files, headers=auth())
        assert warm.status_code == 201, warm.text
        stream(server, "/intake/documents/text", 4 * MB, {"Content-Type": "application/json"})
        before = server.status("VmHWM")

        boundary = "duban-edges-boundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n'
        ).encode()
        cases = {
            "chunked 1 GB upload": (
                "/intake/documents/upload",
                {"Content-Type": f"multipart/form-data; boundary={boundary}"},
                head,
                {413, None},
            ),
            "1 GB unsigned push": (
                "/intake/oa/documents",
                {"Content-Type": "application/octet-stream"},
                b"",
                {401, None},
            ),
            "200 MB JSON": (
                "/intake/documents/text",
                {"Content-Type": "application/json"},
                b'{"text": "',
                {413, None},
            ),
        }
        totals = {"chunked 1 GB upload": GB, "1 GB unsigned push": GB, "200 MB JSON": 200 * MB}
        figures = {}
        for what, (path, headers, first, expected) in cases.items():
            status, sent, largest = stream(server, path, totals[what], headers, first)
            grown = server.status("VmHWM") - before
            figures[what] = (status, sent // MB, largest // MB, grown // MB)
            assert status in expected, (what, status)
            assert sent < totals[what] // 4, f"{what}: the client sent {sent // MB} MB"
            assert largest <= (UPLOAD_MB + 1) * MB, f"{what}: a {largest} byte temporary file"
            assert grown < 50 * MB, f"{what}: peak RSS grew by {grown // MB} MB"
        print("status, MB sent, largest temp file MB, peak RSS growth MB:", figures)
        leftovers = [p for p in server.tmp.rglob("*") if p.is_file()]
        assert all(p.stat().st_size <= UPLOAD_MB * MB for p in leftovers)
        assert httpx.get(f"{server.url}/intake/healthz").status_code == 200


def adversarial_notice() -> str:
    """The slowest of bench/parse_adversarial.py at the largest size taken."""
    head, tail = "一、任务\n（一）", "\n牵头单位：县发改委"
    clause = "6月底前完成增长6%左右，新增就业7400人以上，"
    text = head + clause * ((MAX_CHARS - len(head) - len(tail)) // len(clause)) + tail
    assert MAX_CHARS - 30 < len(text) <= MAX_CHARS
    return text


def test_a_huge_notice_does_not_hold_the_server(tmp_path: Path) -> None:
    with duban_run(tmp_path / "var") as server:
        five_mb = "通知正文" * (5 * MB // 12)
        refused = httpx.post(
            f"{server.url}/intake/documents/text", json={"text": five_mb}, headers=auth()
        )
        assert refused.status_code == 413, refused.text[:300]
        assert refused.json()["code"] == "too_large" and "上限" in refused.json()["detail"]

        answered: dict[str, httpx.Response] = {}

        def parse() -> None:
            started = time.monotonic()
            answered["notice"] = httpx.post(
                f"{server.url}/intake/documents/text",
                json={"text": adversarial_notice()},
                headers=auth(),
                timeout=60,
            )
            answered["seconds"] = time.monotonic() - started  # type: ignore[assignment]

        worker = threading.Thread(target=parse)
        worker.start()
        slowest = 0.0
        while worker.is_alive():
            for path, headers in (("/intake/healthz", {}), ("/intake/documents", auth())):
                started = time.monotonic()
                response = httpx.get(server.url + path, headers=headers, timeout=5)
                slowest = max(slowest, time.monotonic() - started)
                assert response.status_code == 200, response.text
            time.sleep(0.05)
        worker.join()
        print(f"the notice took {answered['seconds']:.2f} s; slowest other answer {slowest:.3f} s")
        assert answered["notice"].status_code == 201, answered["notice"].text[:300]
        assert answered["seconds"] < 20  # type: ignore[operator]
        assert slowest < 1.0, f"another request waited {slowest:.2f} s"
