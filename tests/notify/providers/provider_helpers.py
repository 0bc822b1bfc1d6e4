"""Helpers of the provider-client tests: the simulator's control API, the clients pointed at
it with short timeouts, and the development credentials (simulators/config.py)."""

from __future__ import annotations

import socket
from typing import Any

import httpx

from services.notify.providers import (
    AliyunSms,
    SeeyonTodo,
    SmsTemplate,
    TencentSms,
    Timeouts,
    WeaverTodo,
    WebhookTodo,
    WeComApp,
    WeComRobot,
)

FAST = Timeouts(connect_s=1.0, read_s=0.5)
HANG_LONG = 1.5  # > FAST.read_s: the client times out while the simulator holds the answer
HANG_SHORT = 0.05  # < FAST.read_s: the simulator's 504 arrives before the client gives up

CORPID = "wwduban0000000001"
APP_SECRET = "duban-dev-app-secret"
AGENTID = 1000002
ROBOT_KEY = "duban-dev-robot-key"
ALIYUN_ID, ALIYUN_SECRET = "LTAIdubandev", "duban-dev-aliyun-secret"
TENCENT_ID, TENCENT_KEY, TENCENT_APP = "AKIDdubandev", "duban-dev-tencent-secret", "1400000001"
SIGN = "督办系统"
SEEYON_USER, SEEYON_PASS = "duban-rest", "duban-dev-pass"
WEBHOOK_SECRET = "duban-dev-webhook-secret"
SECRETS = (APP_SECRET, ROBOT_KEY, ALIYUN_SECRET, TENCENT_KEY, SEEYON_PASS, WEBHOOK_SECRET)

PHONE = "13912345678"
TEMPLATES = {
    "before_due": SmsTemplate(
        aliyun="SMS_DUBAN_REMIND", tencent="1000001", params=["task", "deadline"]
    ),
    "overdue": SmsTemplate(aliyun="SMS_DUBAN_URGE", tencent="1000002", params=["task", "days"]),
}


def arm(base: str, target: str, mode: str, **extra: Any) -> None:
    response = httpx.post(
        f"{base}/_control/faults", json={"target": target, "mode": mode, **extra}, timeout=5
    )
    response.raise_for_status()


def received(base: str, **params: str) -> list[dict[str, Any]]:
    return httpx.get(f"{base}/_control/received", params=params, timeout=5).json()


def stats(base: str) -> dict[str, Any]:
    return httpx.get(f"{base}/_control/stats", timeout=5).json()


def todos(base: str, system: str) -> list[dict[str, Any]]:
    return httpx.get(f"{base}/_control/todos", params={"system": system}, timeout=5).json()


def closed_port_url() -> str:
    """A loopback URL nothing listens on: the connection is refused, nothing is sent."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def wecom_app(base: str, **kw: Any) -> WeComApp:
    return WeComApp(
        corpid=CORPID,
        corpsecret=APP_SECRET,
        agentid=AGENTID,
        base_url=f"{base}/wecom",
        timeouts=FAST,
        **kw,
    )


def robot(base: str, key: str = ROBOT_KEY) -> WeComRobot:
    return WeComRobot(key=key, base_url=f"{base}/wecom", timeouts=FAST)


def aliyun(base: str, **kw: Any) -> AliyunSms:
    options: dict[str, Any] = {
        "access_key_id": ALIYUN_ID,
        "access_key_secret": ALIYUN_SECRET,
        "sign_name": SIGN,
        "templates": TEMPLATES,
        "endpoint": f"{base}/aliyun/",
        "timeouts": FAST,
    }
    return AliyunSms(**{**options, **kw})


def tencent(base: str, **kw: Any) -> TencentSms:
    options: dict[str, Any] = {
        "secret_id": TENCENT_ID,
        "secret_key": TENCENT_KEY,
        "sdk_app_id": TENCENT_APP,
        "sign_name": SIGN,
        "templates": TEMPLATES,
        "endpoint": f"{base}/tencent/",
        "timeouts": FAST,
    }
    return TencentSms(**{**options, **kw})


def weaver(base: str) -> WeaverTodo:
    return WeaverTodo(base_url=f"{base}/weaver", syscode="duban", timeouts=FAST)


def seeyon(base: str, password: str = SEEYON_PASS) -> SeeyonTodo:
    return SeeyonTodo(
        base_url=f"{base}/seeyon",
        rest_user=SEEYON_USER,
        rest_password=password,
        register_code="duban",
        timeouts=FAST,
    )


def webhook(base: str, secret: str = WEBHOOK_SECRET) -> WebhookTodo:
    return WebhookTodo(url=f"{base}/webhook/todo", secret=secret, timeouts=FAST)
