"""Settings from DUBAN_NOTIFY_* and the OA directory; no secret and no full phone number in
the logs or the operator's messages, whatever the outcome."""

from __future__ import annotations

import json
import logging

import pytest
from provider_helpers import (
    HANG_LONG,
    PHONE,
    SECRETS,
    aliyun,
    arm,
    robot,
    seeyon,
    tencent,
    webhook,
    wecom_app,
)

from services.notify.providers import (
    FailoverSms,
    ProviderSettings,
    SendResult,
    SmsMessage,
    Todo,
    build,
)
from services.notify.providers.registry import OaDirectory
from services.notify.providers.weaver import WeaverTodo


def test_settings_from_the_environment_build_the_configured_clients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {
        "DUBAN_NOTIFY_READ_TIMEOUT_S": "4",
        "DUBAN_NOTIFY_WECOM_BASE_URL": "https://zwwx.example.gov.cn",
        "DUBAN_NOTIFY_WECOM_CORPID": "ww1",
        "DUBAN_NOTIFY_WECOM_CORPSECRET": "app-secret-value",
        "DUBAN_NOTIFY_WECOM_AGENTID": "1000002",
        "DUBAN_NOTIFY_WECOM_ROBOT_KEY": "",
        "DUBAN_NOTIFY_SMS_PROVIDERS": '["tencent", "aliyun"]',
        "DUBAN_NOTIFY_SMS_TEMPLATES": json.dumps(
            {"before_due": {"aliyun": "SMS_1", "tencent": "1000001", "params": ["task"]}}
        ),
        "DUBAN_NOTIFY_ALIYUN_ACCESS_KEY_ID": "LTAI1",
        "DUBAN_NOTIFY_ALIYUN_ACCESS_KEY_SECRET": "aliyun-secret-value",
        "DUBAN_NOTIFY_ALIYUN_SIGN_NAME": "某县督办",
        "DUBAN_NOTIFY_TENCENT_SECRET_ID": "AKID1",
        "DUBAN_NOTIFY_TENCENT_SECRET_KEY": "tencent-secret-value",
        "DUBAN_NOTIFY_TENCENT_SDK_APP_ID": "1400000001",
        "DUBAN_NOTIFY_TENCENT_SIGN_NAME": "某县督办",
        "DUBAN_NOTIFY_OA_SYSTEMS": json.dumps(
            {
                "county-e9": {
                    "kind": "weaver",
                    "base_url": "http://10.0.0.5",
                    "syscode": "duban",
                    "units": ["U001", "U002"],
                },
                "hook": {
                    "kind": "webhook",
                    "base_url": "https://portal/todo",
                    "secret": "hook-secret-value",
                    "units": ["*"],
                },
            }
        ),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = ProviderSettings()
    assert "app-secret-value" not in repr(settings) and "hook-secret-value" not in repr(settings)
    assert settings.timeouts.read_s == 4
    providers = build(settings)
    try:
        assert providers.wecom_app is not None and providers.wecom_robot is None
        assert providers.sms is not None
        assert [p.provider for p in providers.sms.providers] == ["tencent", "aliyun"]
        assert providers.oa.system_for("U001") == "county-e9"
        assert isinstance(providers.oa.for_unit("U002"), WeaverTodo)
        assert providers.oa.system_for("U999") == "hook"
    finally:
        providers.close()


def test_nothing_configured_builds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("DUBAN_NOTIFY_"):
            monkeypatch.delenv(name)
    providers = build(ProviderSettings())
    assert (providers.wecom_app, providers.wecom_robot, providers.sms) == (None, None, None)
    assert providers.oa.for_unit("U001") is None


def test_an_oa_system_missing_its_credentials_is_refused() -> None:
    with pytest.raises(ValueError, match="rest_password"):
        ProviderSettings(
            oa_systems={
                "a": {
                    "kind": "seeyon",
                    "base_url": "http://x",
                    "register_code": "d",
                    "rest_user": "u",
                }
            }
        )


def test_a_unit_served_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="U1"):
        OaDirectory({}, {"a": ["U1"], "b": ["U1"]})
    with pytest.raises(ValueError, match="'\\*'"):
        OaDirectory({}, {"a": ["*"], "b": ["*"]})


def test_send_result_masks_phones_and_ties_accepted_to_delivered() -> None:
    result = SendResult(False, "failed", "x", message=f"号码 {PHONE} 无效")
    assert PHONE not in result.message and "139****5678" in result.message
    with pytest.raises(ValueError):
        SendResult(True, "retry", "x")


def test_no_secret_token_or_full_phone_number_in_logs_or_messages(
    sim: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    results: list[SendResult] = []
    app = wecom_app(sim)
    results.append(app.send_markdown(["zhangsan"], "x"))
    arm(sim, "wecom_app", "token_expired")
    results.append(app.send_markdown(["zhangsan"], "y"))
    results.append(robot(sim).send_text("z", mentioned_mobile_list=[PHONE]))
    results.append(robot(sim, key="bad-robot-key-value").send_text("z"))
    message = SmsMessage(PHONE, "before_due", {"task": "任务3", "deadline": "12月1日"}, "k1")
    results.append(aliyun(sim).send(message))
    results.append(tencent(sim).send(message))
    arm(sim, "aliyun", "bad_number")
    results.append(FailoverSms([aliyun(sim), tencent(sim)]).send(message))
    arm(sim, "aliyun", "timeout_after", hang_s=HANG_LONG)
    results.append(aliyun(sim).send(message))
    results.append(aliyun(sim, access_key_secret="wrong-aliyun-secret").send(message))
    todo = Todo("k2", "zhangsan", "任务3", "https://duban/t/3")
    client = seeyon(sim)
    results.append(client.create(todo))
    arm(sim, "seeyon", "token_invalid")
    results.append(client.done("k2", "zhangsan"))
    results.append(webhook(sim).create(todo))

    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx did log
    text = caplog.text + "\n".join(r.message for r in results)
    for secret in (*SECRETS, "bad-robot-key-value", "wrong-aliyun-secret"):
        assert secret not in text
    assert "access_token=" not in text and "corpsecret" not in text and "key=" not in text
    assert PHONE not in text
    assert "139****5678" in caplog.text  # masked, not dropped
