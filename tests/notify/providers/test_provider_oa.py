"""OA to-dos (泛微 E9, 致远, the signed webhook) against the simulator."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from provider_helpers import (
    HANG_LONG,
    HANG_SHORT,
    arm,
    closed_port_url,
    received,
    seeyon,
    todos,
    weaver,
    webhook,
)

from services.notify.providers import Todo, todo_id

CHINA = timezone(timedelta(hours=8))
TODO = Todo(
    key="dlv-42:U007:oa",
    receiver="zhangsan",
    title="督办任务3：推进老旧小区改造",
    url="https://duban.example.gov.cn/tasks/3",
    created_at=datetime(2026, 12, 1, 9, 30, tzinfo=CHINA),
)
CLIENTS = {"weaver": weaver, "seeyon": seeyon, "webhook": webhook}


def test_todo_id_is_derived_from_the_delivery_key() -> None:
    assert todo_id("a") == todo_id("a") != todo_id("b")
    assert TODO.id == todo_id(TODO.key) and TODO.id.startswith("duban-") and len(TODO.id) == 38


@pytest.mark.parametrize("system", list(CLIENTS))
def test_created_resent_and_done_is_one_todo(sim: str, system: str) -> None:
    client = CLIENTS[system](sim)
    assert client.safe_to_resend is True
    first = client.create(TODO)
    assert (first.status, first.accepted, first.provider, first.provider_id) == (
        "delivered",
        True,
        system,
        TODO.id,
    )
    assert client.create(TODO).status == "delivered"  # a resend updates the same to-do
    (todo,) = todos(sim, system)
    assert (todo["key"], todo["receiver"], todo["state"]) == (TODO.id, "zhangsan", "open")
    assert todo["title"] == TODO.title and todo["url"] == TODO.url
    done = client.done(TODO.key, "zhangsan", title=TODO.title)
    assert (done.status, done.provider_id) == ("delivered", TODO.id)
    (todo,) = todos(sim, system)
    assert todo["state"] == "done" and todo["history"] == ["open", "done"]
    assert client.done(TODO.key, "zhangsan").status == "delivered"  # done twice is harmless


def test_weaver_request_shape(sim: str) -> None:
    weaver(sim).create(TODO)
    (got,) = received(sim, target="weaver")
    body = got["body"]
    assert body["syscode"] == "duban" and body["flowid"] == TODO.id
    assert (body["isremark"], body["viewtype"]) == ("0", "0")
    assert body["requestname"] == TODO.title and body["pcurl"] == TODO.url
    assert body["createdatetime"] == "2026-12-01 09:30:00" and body["receiver"] == "zhangsan"
    assert body["receivets"] == str(int(TODO.created_at.timestamp() * 1000))


def test_seeyon_request_shape(sim: str) -> None:
    seeyon(sim).create(TODO)
    (got,) = received(sim, target="seeyon")
    body = got["body"]
    assert body["registerCode"] == "duban" and body["taskId"] == TODO.id
    assert body["state"] == "0" and body["creationDate"] == "2026-12-01 09:30"
    assert body["thirdReceiverId"] == body["noneBindingReceiver"] == "zhangsan"


def test_webhook_request_shape(sim: str) -> None:
    webhook(sim).create(TODO)
    (got,) = received(sim, target="webhook")
    assert got["body"] == {
        "event": "todo.created",
        "todo_id": TODO.id,
        "receiver": "zhangsan",
        "title": TODO.title,
        "url": TODO.url,
    }


@pytest.mark.parametrize("system", list(CLIENTS))
@pytest.mark.parametrize(
    ("mode", "hang", "status"),
    [
        ("busy", HANG_LONG, "retry"),
        ("server_error", HANG_LONG, "retry"),
        ("timeout_before", HANG_SHORT, "retry"),  # the gateway's 504: resending is safe
        ("timeout_after", HANG_LONG, "in_doubt"),
    ],
)
def test_oa_faults(sim: str, system: str, mode: str, hang: float, status: str) -> None:
    arm(sim, system, mode, hang_s=hang)
    result = CLIENTS[system](sim).create(TODO)
    assert (result.status, result.accepted) == (status, False)


@pytest.mark.parametrize("system", list(CLIENTS))
def test_oa_unreachable_is_a_retry(system: str) -> None:
    result = CLIENTS[system](closed_port_url()).create(TODO)
    assert (result.status, result.code) == ("retry", "ConnectError")


def test_in_doubt_create_resent_is_still_one_todo(sim: str) -> None:
    client = weaver(sim)
    arm(sim, "weaver", "timeout_after", hang_s=HANG_LONG)
    assert client.create(TODO).status == "in_doubt"
    assert client.create(TODO).status == "delivered"
    assert len(todos(sim, "weaver")) == 1


def test_seeyon_token_is_cached_and_refetched_once_on_401(sim: str) -> None:
    client = seeyon(sim)
    assert client.create(TODO).status == "delivered"
    arm(sim, "seeyon", "token_invalid")  # the OA forgets every token
    assert client.done(TODO.key, "zhangsan").status == "delivered"
    assert todos(sim, "seeyon")[0]["state"] == "done"


def test_seeyon_wrong_password_is_permanent(sim: str) -> None:
    result = seeyon(sim, password="wrong-pass").create(TODO)
    assert (result.status, result.code) == ("failed", "HTTP 401")
    assert "wrong-pass" not in result.message


def test_webhook_wrong_secret_is_permanent(sim: str) -> None:
    result = webhook(sim, secret="wrong-secret").create(TODO)
    assert (result.status, result.code) == ("failed", "HTTP 401")
    assert todos(sim, "webhook") == []


def test_done_for_an_unknown_todo_is_not_found(sim: str) -> None:
    for system, make in CLIENTS.items():
        result = make(sim).done("never-created", "zhangsan")
        assert (result.status, result.code) == ("failed", "not_found"), system


def test_weaver_unregistered_syscode_is_refused_with_the_oas_reason(sim: str) -> None:
    from provider_helpers import FAST

    from services.notify.providers import WeaverTodo

    client = WeaverTodo(base_url=f"{sim}/weaver", syscode="other", timeouts=FAST)
    result = client.create(TODO)
    assert (result.status, result.code) == ("failed", "refused")
    assert "未注册" in result.message
