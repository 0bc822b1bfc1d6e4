"""WeCom app messages and the group robot against the simulator."""

from __future__ import annotations

import threading

import pytest
from provider_helpers import (
    HANG_LONG,
    HANG_SHORT,
    arm,
    closed_port_url,
    received,
    robot,
    stats,
    wecom_app,
)

from services.notify.providers import WeComApp
from services.notify.providers.wecom import AccessTokenCache

CARD = {"title": "督办提醒", "description": "任务3 将于12月1日到期", "url": "https://duban/t/3"}


def gettokens(base: str) -> int:
    return stats(base)["gettoken"]["accepted"]


def test_textcard_happy_path_sends_the_exact_body_with_duplicate_check(sim: str) -> None:
    app = wecom_app(sim, duplicate_check_interval_s=600)
    result = app.send_textcard(["zhangsan", "lisi"], btntxt="查看", **CARD)
    assert (result.status, result.accepted, result.provider) == ("delivered", True, "wecom_app")
    assert result.provider_id and result.invalid_recipients == ()
    got = received(sim, target="wecom_app")
    assert [r["recipient"] for r in got] == ["zhangsan", "lisi"]
    assert {r["status"] for r in got} == {"delivered"}
    assert got[0]["provider_id"] == result.provider_id
    assert got[0]["body"] == {
        "touser": "zhangsan|lisi",
        "msgtype": "textcard",
        "agentid": 1000002,
        "textcard": {**CARD, "btntxt": "查看"},
        "enable_duplicate_check": 1,
        "duplicate_check_interval": 600,
    }


def test_markdown_is_sent_as_markdown(sim: str) -> None:
    result = wecom_app(sim).send_markdown(["wangwu"], "**催办**：任务3已逾期")
    assert result.status == "delivered"
    (got,) = received(sim, target="wecom_app")
    assert got["body"]["msgtype"] == "markdown"
    assert got["body"]["markdown"] == {"content": "**催办**：任务3已逾期"}
    assert got["body"]["enable_duplicate_check"] == 1


def test_token_is_cached_across_sends(sim: str) -> None:
    app = wecom_app(sim)
    assert app.send_markdown(["zhangsan"], "一").status == "delivered"
    assert app.send_markdown(["zhangsan"], "二").status == "delivered"
    assert gettokens(sim) == 1


def test_token_is_refreshed_before_it_expires() -> None:
    now = [1000.0]
    fetched: list[int] = []

    def fetch() -> tuple[str, float]:
        fetched.append(1)
        return f"t{len(fetched)}", 7200.0

    cache = AccessTokenCache(fetch, margin_s=300, clock=lambda: now[0])
    assert cache.token() == "t1"
    now[0] += 7200 - 301
    assert cache.token() == "t1"  # still fresh
    now[0] += 2  # inside the 300 s margin
    assert cache.token() == "t2"
    assert cache.token(stale="t1") == "t2"  # someone already replaced the stale token
    assert len(fetched) == 2
    assert cache.token(stale="t2") == "t3"


def test_the_cache_refreshes_against_the_simulator_when_our_clock_passes_the_margin(
    sim: str,
) -> None:
    now = [0.0]
    app = wecom_app(sim, clock=lambda: now[0])
    assert app.send_markdown(["zhangsan"], "一").status == "delivered"
    now[0] += 7200 - 299
    assert app.send_markdown(["zhangsan"], "二").status == "delivered"
    assert gettokens(sim) == 2


def test_concurrent_first_sends_fetch_one_token(sim: str) -> None:
    app = wecom_app(sim)
    results = []
    start = threading.Barrier(6)

    def send(n: int) -> None:
        start.wait()
        results.append(app.send_markdown(["zhangsan"], f"并发{n}"))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in results] == ["delivered"] * 6
    assert gettokens(sim) == 1


@pytest.mark.parametrize("mode", ["token_expired", "token_invalid"])
def test_expired_or_invalid_token_is_refreshed_once_and_the_send_replayed(
    sim: str, mode: str
) -> None:
    app = wecom_app(sim)
    assert app.send_markdown(["zhangsan"], "先取得 token").status == "delivered"
    arm(sim, "wecom_app", mode)
    result = app.send_markdown(["zhangsan"], "再发一条")
    assert result.status == "delivered"
    assert [r["content"] for r in received(sim, target="wecom_app")] == ["先取得 token", "再发一条"]
    assert gettokens(sim) == 2


def test_token_refused_twice_is_a_retry_not_a_loop(sim: str) -> None:
    arm(sim, "wecom_app", "token_expired", times=2)
    result = wecom_app(sim).send_markdown(["zhangsan"], "x")
    assert (result.status, result.code) == ("retry", "42001")
    assert gettokens(sim) == 2
    assert received(sim, target="wecom_app") == []


@pytest.mark.parametrize(
    ("mode", "code", "after"),
    [("busy", "-1", None), ("rate_limited", "45009", 60.0), ("server_error", "HTTP 502", None)],
)
def test_transient_errors_are_retries(sim: str, mode: str, code: str, after: float | None) -> None:
    arm(sim, "wecom_app", mode)
    result = wecom_app(sim).send_markdown(["zhangsan"], "x")
    assert (result.status, result.accepted, result.code) == ("retry", False, code)
    assert result.retry_after_s == after
    assert received(sim, target="wecom_app") == []


@pytest.mark.parametrize("mode", ["busy", "rate_limited", "server_error", "timeout_before"])
def test_gettoken_failures_are_retries(sim: str, mode: str) -> None:
    arm(sim, "gettoken", mode, hang_s=HANG_LONG)
    result = wecom_app(sim).send_markdown(["zhangsan"], "x")
    assert result.status == "retry"
    assert received(sim, target="wecom_app") == []


def test_an_invalid_user_is_reported_and_the_others_delivered(sim: str) -> None:
    arm(sim, "wecom_app", "invalid_user", match="lisi")
    result = wecom_app(sim).send_markdown(["zhangsan", "LiSi", "nobody"], "x")
    assert (result.status, result.accepted) == ("delivered", True)
    assert result.invalid_recipients == ("LiSi", "nobody")  # as we named them
    assert [r["recipient"] for r in received(sim, target="wecom_app")] == ["zhangsan"]


def test_all_recipients_invalid_is_81013_failed(sim: str) -> None:
    result = wecom_app(sim).send_markdown(["nobody", "ghost"], "x")
    assert (result.status, result.code) == ("failed", "81013")
    assert result.invalid_recipients == ("nobody", "ghost")
    arm(sim, "wecom_app", "invalid_user")
    result = wecom_app(sim).send_markdown(["zhangsan"], "x")
    assert (result.status, result.code, result.invalid_recipients) == (
        "failed",
        "81013",
        ("zhangsan",),
    )


def test_wrong_secret_and_agentid_are_permanent_with_a_chinese_message(sim: str) -> None:
    bad_secret = WeComApp(
        corpid="wwduban0000000001", corpsecret="wrong", agentid=1000002, base_url=f"{sim}/wecom"
    )
    result = bad_secret.send_markdown(["zhangsan"], "x")
    assert (result.status, result.code) == ("failed", "40001")
    assert "Secret" in result.message and "wrong" not in result.message
    wrong_agent = WeComApp(
        corpid="wwduban0000000001",
        corpsecret="duban-dev-app-secret",
        agentid=1,
        base_url=f"{sim}/wecom",
    )
    result = wrong_agent.send_markdown(["zhangsan"], "x")
    assert (result.status, result.code) == ("failed", "40056")
    assert "AgentId" in result.message


def test_60020_is_permanent_and_tells_the_operator_about_the_trusted_ip() -> None:
    import httpx

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("gettoken"):
            return httpx.Response(200, json={"errcode": 0, "access_token": "t", "expires_in": 7200})
        return httpx.Response(
            200, json={"errcode": 60020, "errmsg": "not allow to access from your ip"}
        )

    app = WeComApp(
        corpid="c",
        corpsecret="s",
        agentid=1,
        base_url="https://wecom.test",
        client=httpx.Client(transport=httpx.MockTransport(answer), base_url="https://wecom.test"),
    )
    result = app.send_markdown(["zhangsan"], "x")
    assert (result.status, result.code) == ("failed", "60020")
    assert "可信IP" in result.message


def test_timeout_after_sending_is_in_doubt_and_a_resend_is_swallowed_by_the_duplicate_check(
    sim: str,
) -> None:
    app = wecom_app(sim)
    arm(sim, "wecom_app", "timeout_after", hang_s=HANG_LONG)
    first = app.send_textcard(["zhangsan"], **CARD)
    assert (first.status, first.accepted) == ("in_doubt", False)
    assert app.safe_to_resend is True
    again = app.send_textcard(["zhangsan"], **CARD)
    assert again.status == "delivered"
    delivered_, duplicate = received(sim, target="wecom_app")
    assert delivered_["status"] == "delivered"
    assert duplicate["status"] == "duplicate"
    assert duplicate["duplicate_of"] == delivered_["id"]
    assert again.provider_id == delivered_["provider_id"]
    assert stats(sim)["wecom_app"]["delivered"] == 1


def test_a_gateway_timeout_before_acceptance_is_a_retry(sim: str) -> None:
    arm(sim, "wecom_app", "timeout_before", hang_s=HANG_SHORT)
    result = wecom_app(sim).send_markdown(["zhangsan"], "x")
    assert (result.status, result.code) == ("retry", "HTTP 504")
    assert received(sim, target="wecom_app") == []


def test_a_hang_the_client_cannot_see_behind_is_in_doubt_even_if_nothing_was_sent(
    sim: str,
) -> None:
    # timeout_before with a hang longer than our read timeout looks exactly like
    # timeout_after from here: a read timeout. Honest answer: in_doubt (resending is safe).
    app = wecom_app(sim)
    app.send_markdown(["zhangsan"], "取 token")
    arm(sim, "wecom_app", "timeout_before", hang_s=HANG_LONG)
    assert app.send_markdown(["zhangsan"], "x").status == "in_doubt"


def test_connection_refused_is_a_retry() -> None:
    result = wecom_app(closed_port_url()).send_markdown(["zhangsan"], "x")
    assert (result.status, result.code) == ("retry", "ConnectError")


def test_duplicate_check_interval_is_bounded() -> None:
    with pytest.raises(ValueError):
        wecom_app("http://x", duplicate_check_interval_s=5 * 3600)


# --- robot ---------------------------------------------------------------------------------


def test_robot_text_with_mentioned_mobiles(sim: str) -> None:
    bot = robot(sim)
    result = bot.send_text("请各单位报送", mentioned_mobile_list=["13912345678"])
    assert (result.status, result.provider, bot.safe_to_resend) == (
        "delivered",
        "wecom_robot",
        False,
    )
    (got,) = received(sim, target="wecom_robot")
    assert got["body"] == {
        "msgtype": "text",
        "text": {"content": "请各单位报送", "mentioned_mobile_list": ["13912345678"]},
    }
    assert bot.rate_limits[0].scope == "channel" and bot.rate_limits[0].limit == 20


def test_robot_markdown(sim: str) -> None:
    assert robot(sim).send_markdown("**通报**").status == "delivered"
    (got,) = received(sim, target="wecom_robot")
    assert got["body"] == {"msgtype": "markdown", "markdown": {"content": "**通报**"}}


def test_robot_45009_is_a_retry_after_at_least_a_minute(sim: str) -> None:
    arm(sim, "wecom_robot", "rate_limited")
    result = robot(sim).send_text("x")
    assert (result.status, result.code) == ("retry", "45009")
    assert result.retry_after_s is not None and result.retry_after_s >= 60


def test_robot_real_limit_of_20_a_minute(sim: str) -> None:
    bot = robot(sim)
    results = [bot.send_text(f"第{n}条") for n in range(21)]
    assert [r.status for r in results[:20]] == ["delivered"] * 20
    assert (results[20].status, results[20].code) == ("retry", "45009")


def test_robot_bad_key_is_permanent(sim: str) -> None:
    result = robot(sim, key="not-a-key").send_text("x")
    assert (result.status, result.code) == ("failed", "93000")
    assert "key" in result.message and "not-a-key" not in result.message


@pytest.mark.parametrize(
    ("mode", "status"),
    [("busy", "retry"), ("server_error", "retry"), ("timeout_after", "in_doubt")],
)
def test_robot_faults(sim: str, mode: str, status: str) -> None:
    arm(sim, "wecom_robot", mode, hang_s=HANG_LONG)
    assert robot(sim).send_text("x").status == status


def test_robot_timeout_before_is_in_doubt_when_unseen_and_retry_when_refused(sim: str) -> None:
    # A robot message is not deduplicated: a 504 or a read timeout may hide a delivery.
    arm(sim, "wecom_robot", "timeout_before", hang_s=HANG_SHORT)
    assert robot(sim).send_text("x").status == "in_doubt"
    assert robot(closed_port_url()).send_text("x").status == "retry"
