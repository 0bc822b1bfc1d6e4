"""In production mode a service refuses to start with a missing, short or placeholder
secret, and says which; with good ones it starts. Through `duban serve` in a subprocess."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from helpers import REPO, free_port, wait_for

from shared.secrets import weakness

SECRETS = ("DUBAN_ADMIN_TOKEN", "DUBAN_OPERATOR_TOKEN", "DUBAN_SESSION_KEY")


def test_what_makes_a_secret_weak() -> None:
    assert weakness(None) == "未设置"
    assert weakness("short").startswith("过短")
    assert "占位" in (weakness("please-change-me-before-production-0123") or "")
    assert "占位" in (weakness("a" * 40) or "")
    assert weakness(secrets.token_urlsafe(32)) is None


def serve(
    tmp_path: Path, port: int = 0, command: tuple[str, ...] = ("serve", "intake"), **env: str
) -> subprocess.Popen[str]:
    settings = {"DUBAN_DATA_DIR": str(tmp_path / "var"), "DUBAN_PRODUCTION": "true", **env}
    secret = ("_TOKEN", "_SECRET", "_KEY")
    clean = {k: v for k, v in os.environ.items() if not k.endswith(secret)}
    return subprocess.Popen(
        [sys.executable, "-m", "duban", *command, "--port", str(port)],
        cwd=REPO,
        env={**clean, **settings},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_weak_secret_stops_the_start_and_is_named(tmp_path: Path) -> None:
    process = serve(
        tmp_path,
        DUBAN_ADMIN_TOKEN="admin123",
        DUBAN_INTAKE_OA_WEBHOOK_SECRET="example-webhook-secret-for-the-oa-0000",
    )
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "生产模式拒绝启动" in err
    assert "DUBAN_ADMIN_TOKEN 过短" in err
    assert "DUBAN_OPERATOR_TOKEN 未设置" in err
    assert "DUBAN_INTAKE_OA_WEBHOOK_SECRET 像是示例或占位值" in err
    assert "DUBAN_SESSION_KEY 未设置" in err
    assert "admin123" not in err, "a secret is never printed"


def test_a_short_or_placeholder_session_key_is_named(tmp_path: Path) -> None:
    good = {"DUBAN_ADMIN_TOKEN": secrets.token_urlsafe(32)}
    good["DUBAN_OPERATOR_TOKEN"] = secrets.token_urlsafe(32)
    placeholder = "change-me-session-key-" + "x" * 20
    for key, why in (("0123456789", "过短"), (placeholder, "像是示例或占位值")):
        process = serve(tmp_path, DUBAN_SESSION_KEY=key, **good)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 2
        assert f"DUBAN_SESSION_KEY {why}" in err and "DUBAN_ADMIN_TOKEN" not in err
        assert key not in err


def test_demo_logins_are_refused_in_production(tmp_path: Path) -> None:
    good = {name: secrets.token_urlsafe(32) for name in SECRETS}
    process = serve(tmp_path, command=("run", "--demo"), **good)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2 and "--demo" in err


def test_good_secrets_let_it_start(tmp_path: Path) -> None:
    port = free_port()
    process = serve(tmp_path, port, **{name: secrets.token_urlsafe(32) for name in SECRETS})
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        wait_for(lambda: httpx.get(url).status_code == 200, "duban serve intake")
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
