"""The control API, the messages page, and the simulator on a real socket: a client timeout
before the message was taken leaves no record, one after it does."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sim_helpers import CONFIG, aliyun_params, fault, received, send, text_message, token

from simulators.testing import running_simulator


def test_fault_spec_is_checked(client: TestClient) -> None:
    assert (
        client.post("/_control/faults", json={"target": "fax", "mode": "busy"}).status_code == 400
    )
    bad_mode = client.post("/_control/faults", json={"target": "aliyun", "mode": "token_expired"})
    assert bad_mode.status_code == 400 and "bad_number" in bad_mode.text
    assert (
        client.post(
            "/_control/faults", json={"target": "aliyun", "mode": "busy", "times": 0}
        ).status_code
        == 422
    )


def test_a_fault_fires_times_then_stops(client: TestClient) -> None:
    fault(client, target="wecom_app", mode="busy", times=2)
    access = token(client)
    codes = [send(client, text_message("zhangsan"), access)["errcode"] for _ in range(3)]
    assert codes == [-1, -1, 0]
    assert client.get("/_control/faults").json()["armed"] == []


def test_random_failures_are_seeded_and_transient(client: TestClient) -> None:
    def run() -> list[int]:
        client.post("/_control/reset")
        fault(client, target="wecom_app", failure_rate=0.5, seed=7)
        access = token(client)
        out = []
        for i in range(20):
            r = client.post(
                "/wecom/cgi-bin/message/send",
                params={"access_token": access},
                json=text_message("zhangsan", f"{i}"),
            )
            out.append(r.json()["errcode"] if r.status_code == 200 else r.status_code)
        return out

    first, second = run(), run()
    assert first == second  # the same seed, the same run
    assert set(first) <= {0, -1, 45009, 502} and 0 in first and len(set(first)) > 1
    fault(client, target="wecom_app", failure_rate=0)
    assert client.get("/_control/faults").json()["random"] == {}


def test_stats_reset_and_clock(client: TestClient) -> None:
    send(client, text_message("zhangsan"))
    stats = client.get("/_control/stats").json()
    assert stats["wecom_app"]["accepted"] == 1 and stats["wecom_app"]["delivered"] == 1
    assert stats["gettoken"]["accepted"] == 1
    clock = client.post("/_control/clock", json={"set": 1_800_000_000, "advance": 5}).json()
    assert clock == {"now": 1_800_000_005, "frozen": True, "offset_s": 0.0}
    assert client.post("/_control/reset").json() == {"reset": True}
    assert (
        received(client) == []
        and client.get("/_control/stats").json()["wecom_app"]["accepted"] == 0
    )
    assert client.get("/_control/clock").json()["frozen"] is False


def test_page_lists_messages_and_todos_newest_first(client: TestClient) -> None:
    send(client, text_message("zhangsan", "第一条提醒"))
    send(client, text_message("zhangsan", "第二条<提醒>"))
    client.post("/aliyun/", data=aliyun_params())
    client.post(
        "/weaver/rest/ofs/ReceiveRequestInfoByJson",
        json={
            "syscode": "duban",
            "flowid": "f1",
            "requestname": "一季度进展待办",
            "workflowname": "督办",
            "nodename": "报送",
            "isremark": "0",
            "viewtype": "0",
            "creator": "duchashi",
            "createdatetime": "2026-03-20 09:00:00",
            "receiver": "zhangsan",
            "receivedatetime": "2026-03-20 09:00:00",
        },
    )
    for path in ("/", "/messages"):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        assert "企业微信应用消息" in html and "阿里云短信" in html and "13800138000" in html
        assert html.index("第二条&lt;提醒&gt;") < html.index("第一条提醒")  # newest first, escaped
        assert "一季度进展待办" in html and "待办" in html
        assert "http://" not in html and "https://" not in html.split("</style>")[0]


def test_mounted_under_a_prefix() -> None:
    from fastapi import FastAPI

    from simulators import create_app

    host = FastAPI()
    host.mount("/sim", create_app())
    with TestClient(host) as c:
        assert (
            c.get(
                "/sim/wecom/cgi-bin/gettoken",
                params={"corpid": CONFIG.wecom_corpid, "corpsecret": CONFIG.wecom_apps[0].secret},
            ).json()["errcode"]
            == 0
        )
        assert c.get("/sim/").status_code == 200


def test_running_simulator_starts_serves_and_stops() -> None:
    with running_simulator() as base:
        assert base.startswith("http://127.0.0.1:")
        assert httpx.get(f"{base}/_control/stats").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/_control/stats", timeout=1)


def test_timeout_before_records_nothing_timeout_after_records_then_hangs() -> None:
    with running_simulator() as base, httpx.Client(base_url=base, timeout=2) as http:
        access = http.get(
            "/wecom/cgi-bin/gettoken",
            params={"corpid": CONFIG.wecom_corpid, "corpsecret": CONFIG.wecom_apps[0].secret},
        ).json()["access_token"]

        def attempt(content: str) -> None:
            http.post(
                "/wecom/cgi-bin/message/send",
                params={"access_token": access},
                json=text_message("zhangsan", content),
                timeout=0.3,
            )

        http.post(
            "/_control/faults", json={"target": "wecom_app", "mode": "timeout_before", "hang_s": 1}
        )
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            attempt("before")
        assert time.monotonic() - started < 1
        assert http.get("/_control/received").json() == []

        http.post(
            "/_control/faults", json={"target": "wecom_app", "mode": "timeout_after", "hang_s": 1}
        )
        with pytest.raises(httpx.ReadTimeout):
            attempt("after")
        (got,) = http.get("/_control/received").json()
        assert (got["content"], got["status"]) == ("after", "delivered")  # it was sent

        http.post(
            "/_control/faults", json={"target": "aliyun", "mode": "timeout_after", "hang_s": 1}
        )
        with pytest.raises(httpx.ReadTimeout):
            http.post("/aliyun/", data=aliyun_params(), timeout=0.3)
        assert len(http.get("/_control/received", params={"target": "aliyun"}).json()) == 1
        failed = http.get("/_control/stats").json()["wecom_app"]["failed"]
        assert failed == {"timeout_before": 1, "timeout_after": 1}


def test_module_main_parses_its_port() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulators", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "--port" in result.stdout
