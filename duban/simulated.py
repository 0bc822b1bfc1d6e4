"""`duban run` with no real channel configured: the provider simulators are mounted at
``/simulator`` and notify is pointed at them, so a reminder really leaves the system (over
HTTP, signed, rate limited, exactly as to WeCom, Aliyun, Tencent and an OA) and lands on a
page a person can open: ``/simulator/``.

A deployment that sets ``DUBAN_NOTIFY_CHANNELS`` gets its real channels and no simulator.
Nothing here is used by ``duban serve``, and production mode never mounts it.
"""

from __future__ import annotations

import json
import os

from fastapi import FastAPI

from simulators import SimulatorConfig, SmsTemplate, create_app

MOUNT = "/simulator"
# One template for every kind of message, named with notify's own values (Aliyun by name,
# Tencent by position), approved in the simulator below.
ALIYUN_TEMPLATE, TENCENT_TEMPLATE = "SMS_DUBAN_NOTICE", "1000003"
PARAMS = ["task_number", "subject", "due"]
KINDS = (
    "task_assigned",
    "before_due",
    "due_today",
    "overdue",
    "report_due",
    "report_missing",
    "escalation",
    "circular",
    "urge",
    "digest",
)


def simulator_config() -> SimulatorConfig:
    aliyun = "【督办】任务${task_number}“${subject}”，截止${due}，详情请登录督办系统。"
    tencent = "【督办】任务{1}“{2}”，截止{3}，详情请登录督办系统。"
    config = SimulatorConfig()
    return SimulatorConfig(
        aliyun_templates={**config.aliyun_templates, ALIYUN_TEMPLATE: SmsTemplate(aliyun)},
        tencent_templates={**config.tencent_templates, TENCENT_TEMPLATE: SmsTemplate(tencent)},
    )


def simulated_settings(base_url: str) -> dict[str, str]:
    """The notify settings that send everything to the simulator at ``base_url``."""
    config = simulator_config()
    app = config.wecom_apps[0]
    template = {"aliyun": ALIYUN_TEMPLATE, "tencent": TENCENT_TEMPLATE, "params": PARAMS}
    oa = {
        "kind": "webhook",
        "base_url": f"{base_url}/webhook/todo",
        "units": ["*"],
        "secret": config.webhook_secret,
    }
    return {
        "DUBAN_NOTIFY_CHANNELS": "wecom_app,sms,oa_todo",
        "DUBAN_NOTIFY_WECOM_BASE_URL": f"{base_url}/wecom",
        "DUBAN_NOTIFY_WECOM_CORPID": config.wecom_corpid,
        "DUBAN_NOTIFY_WECOM_CORPSECRET": app.secret,
        "DUBAN_NOTIFY_WECOM_AGENTID": str(app.agentid),
        "DUBAN_NOTIFY_ALIYUN_ENDPOINT": f"{base_url}/aliyun/",
        "DUBAN_NOTIFY_ALIYUN_ACCESS_KEY_ID": config.aliyun_access_key_id,
        "DUBAN_NOTIFY_ALIYUN_ACCESS_KEY_SECRET": config.aliyun_access_key_secret,
        "DUBAN_NOTIFY_ALIYUN_SIGN_NAME": config.aliyun_sign_names[0],
        "DUBAN_NOTIFY_TENCENT_ENDPOINT": f"{base_url}/tencent/",
        "DUBAN_NOTIFY_TENCENT_SECRET_ID": config.tencent_secret_id,
        "DUBAN_NOTIFY_TENCENT_SECRET_KEY": config.tencent_secret_key,
        "DUBAN_NOTIFY_TENCENT_SDK_APP_ID": config.tencent_sdk_app_id,
        "DUBAN_NOTIFY_TENCENT_SIGN_NAME": config.tencent_sign_names[0],
        "DUBAN_NOTIFY_SMS_TEMPLATES": json.dumps({kind: template for kind in KINDS}),
        "DUBAN_NOTIFY_OA_SYSTEMS": json.dumps({"simulator": oa}),
        "DUBAN_NOTIFY_PORTAL_URL": base_url.removesuffix(MOUNT),
    }


def wants_simulator() -> bool:
    """No channel configured: the embedded default simulates them."""
    return not os.environ.get("DUBAN_NOTIFY_CHANNELS")


def use_simulator(port: int) -> None:
    """Point notify at the simulator this process will serve (before the services start)."""
    for name, value in simulated_settings(f"http://127.0.0.1:{port}{MOUNT}").items():
        os.environ[name] = value


def mount_simulator(app: FastAPI) -> None:
    app.mount(MOUNT, create_app(simulator_config()))
