"""People log in through the real entry point: `duban run` in a subprocess, HTTP only.

`duban run --demo` lists its demo logins on the login page; a browser logs in with one
through the form (with its CSRF token) and reads reporting and intake with the cookie alone;
a change without the CSRF token is refused. A fresh `duban run` with nothing set prints the
first administrator's generated password once, which logs in, and which no file of its
data directory holds."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from helpers import REPO, free_port, wait_for

EXAMPLE = REPO / "examples" / "qingchuan-2026-notice.txt"
UNSET = ("DUBAN_ADMIN_TOKEN", "DUBAN_TASKS_ADMIN_TOKEN", "DUBAN_SESSION_KEY", "DUBAN_DEMO")


class Run:
    def __init__(self, process: subprocess.Popen[str], base_url: str) -> None:
        self.process, self.base_url = process, base_url
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=10, follow_redirects=False)


@contextmanager
def duban_run(data_dir: Path, *args: str) -> Iterator[Run]:
    """`duban run` as a newcomer starts it: no token, no key, nothing set."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env |= {"DUBAN_DATA_DIR": str(data_dir), "DUBAN_LOG_LEVEL": "info"}
    process = subprocess.Popen(
        [sys.executable, "-m", "duban", "run", "--port", str(port), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    run = Run(process, f"http://127.0.0.1:{port}")
    try:
        wait_for(lambda: httpx.get(f"{run.base_url}/tasks/healthz").is_success, "duban run")
        yield run
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        run._reader.join(timeout=5)
    assert process.returncode == 0, run.output


def form_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_a_demo_login_through_the_form_opens_every_service(tmp_path: Path) -> None:
    from services.tasks.accounts.demo import DEMO_ACCOUNTS

    supervisor = DEMO_ACCOUNTS[0]
    with duban_run(tmp_path / "var", "--demo") as run, run.browser() as browser:
        page = browser.get("/tasks/login")
        assert page.status_code == 200 and "登录" in page.text
        assert supervisor.login in page.text and supervisor.password in page.text
        form = {
            "login": supervisor.login,
            "password": supervisor.password,
            "csrf_token": form_token(page.text),
            "next": "/reporting/overview",
        }
        logged_in = browser.post("/tasks/login", data=form)
        assert logged_in.status_code == 303, logged_in.text
        assert logged_in.headers["location"] == "/reporting/overview"
        assert "httponly" in logged_in.headers.get_list("set-cookie")[0].lower()

        assert browser.get("/reporting/overview").status_code == 200
        assert browser.get("/intake/documents").status_code == 200
        me = browser.get("/tasks/me").json()
        assert (me["role"], me["government_id"]) == ("supervisor", "default")

        notice = {"text": EXAMPLE.read_text(encoding="utf-8")}
        refused = browser.post("/intake/documents/text", json=notice)
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
        csrf = {"X-CSRF-Token": browser.cookies["duban_csrf"]}
        taken = browser.post("/intake/documents/text", json=notice, headers=csrf)
        assert taken.status_code == 201, taken.text
        assert taken.json()["created_by"] == f"{supervisor.display_name}（{supervisor.login}）"

        assert browser.post("/tasks/logout", headers=csrf).status_code == 200
        assert browser.get("/tasks/me").status_code == 401


def test_a_fresh_start_prints_the_admin_password_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    with duban_run(data_dir) as run, run.browser() as browser:
        line = wait_for(
            lambda: next((x for x in run.lines if "密码 password:" in x), None),
            "the first administrator's password",
        )
        password = line.split("密码 password:", 1)[1].strip()
        assert len(password) >= 10
        assert "duban admin reset" in run.output
        logged_in = browser.post("/tasks/login", json={"login": "admin", "password": password})
        assert logged_in.status_code == 200, logged_in.text
        assert logged_in.json()["role"] == "admin"
        assert logged_in.json()["account"]["must_change_password"] is True
        session = browser.cookies["duban_session"]
        assert browser.get("/notify/notices").status_code == 200
        wrong = browser.post("/tasks/login", json={"login": "admin", "password": "Wrong#Pw-123"})
        assert wrong.status_code == 401
    assert run.output.count(password) == 1, "printed once, in no log line"
    assert session not in run.output and "Wrong#Pw-123" not in run.output
    for path in data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert password.encode() not in content, path
            assert session.encode() not in content, path
    assert (data_dir / "session-key").stat().st_mode & 0o077 == 0, "its owner's only"

    with duban_run(data_dir) as again, again.browser() as browser:
        answer = browser.post("/tasks/login", json={"login": "admin", "password": password})
        assert answer.status_code == 200, "the same key and account after a restart"
    assert "密码 password:" not in again.output, "only the first start makes one"


def test_duban_admin_creates_and_resets_an_account(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, select

    from services.tasks.accounts.models import Account
    from services.tasks.accounts.passwords import verify_password

    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env |= {"DUBAN_DATA_DIR": str(tmp_path / "var")}

    def admin(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "duban", "admin", *args]
        return subprocess.run(
            command, cwd=REPO, env=env, input=stdin, capture_output=True, text=True, timeout=60
        )

    def stored() -> Account:
        engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'tasks.db'}")
        with engine.connect() as conn:
            row = conn.execute(select(Account.__table__).where(Account.login == "zhang")).one()
        engine.dispose()
        return row

    made = admin("create", "--login", "zhang", "--role", "supervisor", "--government", "default")
    assert made.returncode == 0, made.stderr
    (line,) = [x for x in made.stdout.splitlines() if x.startswith("密码")]
    password = line.split("：", 1)[1].strip()
    assert verify_password(stored().password_hash, password)
    assert admin("create", "--login", "zhang", "--government", "default").returncode == 1

    weak = admin("reset", "--login", "zhang", "--password-stdin", stdin="short\n")
    assert weak.returncode == 1 and "至少" in weak.stderr
    chosen = "Lq4v-Rt8n-Wx3c"
    reset = admin("reset", "--login", "zhang", "--password-stdin", stdin=chosen + "\n")
    assert reset.returncode == 0 and chosen not in reset.stdout, "a given password is not shown"
    assert verify_password(stored().password_hash, chosen)
    assert stored().must_change_password
    assert admin("reset", "--login", "nobody").returncode == 1
