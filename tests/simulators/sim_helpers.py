"""Helpers for the simulator tests: an in-process client and signed-request builders that
sign the way a real client would (with simulators.signatures, itself checked against the
providers' published examples in test_sim_signatures.py)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from simulators import SimulatorConfig, create_app
from simulators.signatures import aliyun_signature, tc3_authorization, webhook_signature

CONFIG = SimulatorConfig()
AGENTID = CONFIG.wecom_apps[0].agentid


def make_client(config: SimulatorConfig) -> TestClient:
    return TestClient(create_app(config))


def token(client: TestClient) -> str:
    answer = client.get(
        "/wecom/cgi-bin/gettoken",
        params={"corpid": CONFIG.wecom_corpid, "corpsecret": CONFIG.wecom_apps[0].secret},
    ).json()
    assert answer["errcode"] == 0, answer
    return answer["access_token"]


def text_message(touser: str, content: str = "请于3月31日前报送进展", **extra: Any) -> dict:
    return {
        "touser": touser,
        "msgtype": "text",
        "agentid": AGENTID,
        "text": {"content": content},
        **extra,
    }


def send(client: TestClient, body: dict, access_token: str | None = None) -> dict:
    return client.post(
        "/wecom/cgi-bin/message/send",
        params={"access_token": access_token or token(client)},
        json=body,
    ).json()


def fault(client: TestClient, **spec: Any) -> None:
    answer = client.post("/_control/faults", json=spec)
    assert answer.status_code == 200, answer.text


def received(client: TestClient, **query: str) -> list[dict]:
    return client.get("/_control/received", params=query).json()


def aliyun_params(
    phones: str = "13800138000",
    *,
    template: str = "SMS_DUBAN_REMIND",
    params: dict | None = None,
    sign: str = "督办系统",
    out_id: str = "reminder-1",
    secret: str | None = None,
    method: str = "POST",
) -> dict[str, str]:
    values = {
        "AccessKeyId": CONFIG.aliyun_access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": str(uuid.uuid4()),
        "SignatureVersion": "1.0",
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
        "PhoneNumbers": phones,
        "SignName": sign,
        "TemplateCode": template,
        "TemplateParam": json.dumps(
            params if params is not None else {"task": "老旧小区改造", "deadline": "6月30日"},
            ensure_ascii=False,
        ),
        "OutId": out_id,
    }
    values["Signature"] = aliyun_signature(
        method, values, secret or CONFIG.aliyun_access_key_secret
    )
    return values


def tencent_request(
    body: dict,
    *,
    secret_key: str | None = None,
    host: str | None = None,
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    ts = timestamp or int(time.time())
    headers = {
        "content-type": "application/json; charset=utf-8",
        "host": host or CONFIG.tencent_host,
        "x-tc-action": "sendsms",
    }
    auth = tc3_authorization(
        CONFIG.tencent_secret_id,
        secret_key or CONFIG.tencent_secret_key,
        service="sms",
        timestamp=ts,
        headers=headers,
        body=raw,
        signed_headers=["content-type", "host", "x-tc-action"],
    )
    return raw, {
        "Content-Type": "application/json; charset=utf-8",
        "Authorization": auth,
        "X-TC-Action": "SendSms",
        "X-TC-Version": "2021-01-11",
        "X-TC-Timestamp": str(ts),
        "X-TC-Region": "ap-guangzhou",
    }


def tencent_body(numbers: list[str], params: list[str] | None = None, **extra: Any) -> dict:
    return {
        "PhoneNumberSet": numbers,
        "SmsSdkAppId": CONFIG.tencent_sdk_app_id,
        "SignName": "督办系统",
        "TemplateId": "1000001",
        "TemplateParamSet": params if params is not None else ["老旧小区改造", "6月30日"],
        "SessionContext": "reminder-1",
        **extra,
    }


def signed_webhook(body: dict, secret: str | None = None) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    signature = webhook_signature(secret or CONFIG.webhook_secret, stamp, raw)
    return raw, {
        "Content-Type": "application/json",
        "X-Duban-Timestamp": stamp,
        "X-Duban-Signature": signature,
    }
