"""WeCom: gettoken, message/send (duplicate check, silent per-member drop, invaliduser,
token expiry) and the group robot (20/min → 45009), each answer as documented."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient
from sim_helpers import AGENTID, CONFIG, fault, make_client, received, send, text_message, token

GETTOKEN = "/wecom/cgi-bin/gettoken"
ROBOT = "/wecom/cgi-bin/webhook/send"
KEY = CONFIG.robot_keys[0]


def test_gettoken_answers_as_documented_and_refuses_a_wrong_secret(client: TestClient) -> None:
    ok = client.get(
        GETTOKEN, params={"corpid": CONFIG.wecom_corpid, "corpsecret": CONFIG.wecom_apps[0].secret}
    ).json()
    assert set(ok) == {"errcode", "errmsg", "access_token", "expires_in"}
    assert (ok["errcode"], ok["errmsg"], ok["expires_in"]) == (0, "ok", 7200)
    again = client.get(
        GETTOKEN, params={"corpid": CONFIG.wecom_corpid, "corpsecret": CONFIG.wecom_apps[0].secret}
    ).json()
    assert again["access_token"] == ok["access_token"]  # the same token while it lives
    bad = client.get(GETTOKEN, params={"corpid": CONFIG.wecom_corpid, "corpsecret": "nope"}).json()
    assert bad["errcode"] == 40001 and "access_token" not in bad
    assert (
        client.get(GETTOKEN, params={"corpid": "ww-other", "corpsecret": "x"}).json()["errcode"]
        == 40013
    )


def test_send_delivers_and_reports_unknown_users_lowercased(client: TestClient) -> None:
    answer = send(client, text_message("zhangsan|LiSi|Ghost|NoBody"))
    assert answer["errcode"] == 0 and answer["errmsg"] == "ok"
    assert answer["invaliduser"] == "ghost|nobody"
    assert answer["msgid"]
    got = received(client, target="wecom_app")
    assert [(r["recipient"], r["status"]) for r in got] == [
        ("zhangsan", "delivered"),
        ("lisi", "delivered"),
    ]
    assert {r["provider_id"] for r in got} == {answer["msgid"]}


def test_textcard_and_markdown_are_recorded_as_read(client: TestClient) -> None:
    card = {
        "touser": "wangwu",
        "msgtype": "textcard",
        "agentid": AGENTID,
        "textcard": {
            "title": "督办提醒",
            "description": "任务3月31日到期",
            "url": "https://duban.example/t/1",
        },
    }
    assert send(client, card)["errcode"] == 0
    md = {
        "touser": "wangwu",
        "msgtype": "markdown",
        "agentid": AGENTID,
        "markdown": {"content": "**催办**"},
    }
    assert send(client, md)["errcode"] == 0
    contents = [r["content"] for r in received(client, recipient="wangwu")]
    assert contents == ["督办提醒\n任务3月31日到期\nhttps://duban.example/t/1", "**催办**"]


def test_all_recipients_invalid_is_81013(client: TestClient) -> None:
    answer = send(client, text_message("ghost|Phantom"))
    assert answer["errcode"] == 81013
    assert answer["invaliduser"] == "ghost|phantom"
    assert received(client) == []


def test_wrong_agentid_and_bad_token_are_refused(client: TestClient) -> None:
    assert send(client, {**text_message("zhangsan"), "agentid": 1})["errcode"] == 40056
    assert send(client, text_message("zhangsan"), access_token="forged")["errcode"] == 40014


def test_duplicate_check_accepts_but_does_not_deliver_again(client: TestClient) -> None:
    body = text_message("zhangsan|lisi", enable_duplicate_check=1, duplicate_check_interval=600)
    first = send(client, body)
    second = send(client, body)
    assert first["errcode"] == second["errcode"] == 0
    delivered = received(client, status="delivered")
    duplicates = received(client, status="duplicate")
    assert len(delivered) == 2 and len(duplicates) == 2
    by_user = {r["recipient"]: r["id"] for r in delivered}
    assert {r["recipient"]: r["duplicate_of"] for r in duplicates} == by_user
    # after the window the same body is delivered again
    client.post("/_control/clock", json={"advance": 601})
    send(client, body)
    assert len(received(client, status="delivered")) == 4
    # without the flag, WeCom does not check
    plain = text_message("wangwu")
    send(client, plain)
    send(client, plain)
    assert len(received(client, recipient="wangwu", status="delivered")) == 2


def test_per_member_limit_drops_silently_then_recovers(client: TestClient) -> None:
    client.post("/_control/clock", json={"set": 1_800_000_000})
    access = token(client)
    answers = [send(client, text_message("zhangsan|lisi", f"第{i}条"), access) for i in range(31)]
    assert all(a["errcode"] == 0 and a["invaliduser"] == "" for a in answers)  # no error at all
    # each member's 31st message in the minute is dropped
    zhang = received(client, recipient="zhangsan")
    assert [r["status"] for r in zhang].count("delivered") == 30
    assert zhang[-1]["status"] == "dropped"
    stats = client.get("/_control/stats").json()["wecom_app"]
    assert stats["delivered"] == 60 and stats["dropped"] == 2 and stats["accepted"] == 31
    client.post("/_control/clock", json={"advance": 61})
    send(client, text_message("zhangsan", "一分钟后"), access)
    assert received(client, recipient="zhangsan")[-1]["status"] == "delivered"


def test_per_member_hourly_limit() -> None:
    with make_client(replace(CONFIG, wecom_member_per_hour=3)) as c:
        c.post("/_control/clock", json={"set": 1_800_000_000})
        access = token(c)
        for i in range(4):
            send(c, text_message("zhaoliu", f"{i}"), access)
            c.post("/_control/clock", json={"advance": 61})
        assert [r["status"] for r in received(c)] == ["delivered"] * 3 + ["dropped"]
        c.post("/_control/clock", json={"advance": 3600})
        send(c, text_message("zhaoliu", "later"), access)
        assert received(c)[-1]["status"] == "delivered"


def test_token_expires_with_the_clock_then_a_new_one_works(client: TestClient) -> None:
    client.post("/_control/clock", json={"set": 1_800_000_000})
    old = token(client)
    client.post("/_control/clock", json={"advance": 7200})
    assert send(client, text_message("zhangsan"), old)["errcode"] == 42001
    new = token(client)
    assert new != old
    assert send(client, text_message("zhangsan"), new)["errcode"] == 0


def test_token_faults_revoke_the_token(client: TestClient) -> None:
    access = token(client)
    fault(client, target="wecom_app", mode="token_expired")
    assert send(client, text_message("zhangsan"), access)["errcode"] == 42001
    assert send(client, text_message("zhangsan"), access)["errcode"] == 42001  # stays dead
    fresh = token(client)
    assert fresh != access and send(client, text_message("zhangsan"), fresh)["errcode"] == 0
    fault(client, target="wecom_app", mode="token_invalid")
    assert send(client, text_message("zhangsan"), fresh)["errcode"] == 40014
    assert send(client, text_message("zhangsan"), token(client))["errcode"] == 0
    assert len(received(client)) == 2


def test_injected_failures_answer_as_documented(client: TestClient) -> None:
    access = token(client)
    fault(client, target="wecom_app", mode="busy")
    assert send(client, text_message("zhangsan"), access) == {
        "errcode": -1,
        "errmsg": "system busy",
    }
    fault(client, target="wecom_app", mode="rate_limited")
    assert send(client, text_message("zhangsan"), access)["errcode"] == 45009
    fault(client, target="wecom_app", mode="server_error")
    r = client.post(
        "/wecom/cgi-bin/message/send",
        params={"access_token": access},
        json=text_message("zhangsan"),
    )
    assert r.status_code == 502
    fault(client, target="gettoken", mode="busy")
    assert (
        client.get(GETTOKEN, params={"corpid": CONFIG.wecom_corpid, "corpsecret": "x"}).json()[
            "errcode"
        ]
        == -1
    )
    assert received(client) == []
    failed = client.get("/_control/stats").json()["wecom_app"]["failed"]
    assert failed == {"busy": 1, "rate_limited": 1, "server_error": 1}


def test_invalid_user_fault_marks_the_matched_member(client: TestClient) -> None:
    access = token(client)
    fault(client, target="wecom_app", mode="invalid_user", match="LiSi")
    answer = send(client, text_message("zhangsan|lisi"), access)
    assert answer["errcode"] == 0 and answer["invaliduser"] == "lisi"
    fault(client, target="wecom_app", mode="invalid_user")
    assert send(client, text_message("zhangsan"), access)["errcode"] == 81013
    assert [r["recipient"] for r in received(client)] == ["zhangsan"]


def test_throttled_fault_is_wecoms_silent_drop(client: TestClient) -> None:
    fault(client, target="wecom_app", mode="throttled", match="wangwu")
    assert send(client, text_message("zhangsan"))["errcode"] == 0  # not matched: delivered
    assert send(client, text_message("wangwu"))["errcode"] == 0
    assert [r["status"] for r in received(client)] == ["delivered", "dropped"]


def test_robot_delivers_and_answers_45009_past_20_a_minute(client: TestClient) -> None:
    client.post("/_control/clock", json={"set": 1_800_000_000})
    body = {
        "msgtype": "text",
        "text": {"content": "督办提醒", "mentioned_mobile_list": ["13800138000"]},
    }
    answers = [client.post(ROBOT, params={"key": KEY}, json=body).json() for _ in range(21)]
    assert answers[0] == {"errcode": 0, "errmsg": "ok"}
    assert all(a["errcode"] == 0 for a in answers[:20])
    assert answers[20]["errcode"] == 45009
    got = received(client, target="wecom_robot")
    assert len(got) == 20 and got[0]["content"] == "督办提醒\n@13800138000"
    client.post("/_control/clock", json={"advance": 60})
    assert client.post(ROBOT, params={"key": KEY}, json=body).json()["errcode"] == 0


def test_robot_refuses_a_bad_key_with_93000(client: TestClient) -> None:
    body = {"msgtype": "markdown", "markdown": {"content": "**x**"}}
    assert client.post(ROBOT, params={"key": "wrong"}, json=body).json()["errcode"] == 93000
    assert client.post(ROBOT, params={"key": KEY}, json=body).json()["errcode"] == 0
