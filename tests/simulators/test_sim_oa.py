"""OA 统一待办: 泛微 E9, 致远 third-party pending and the signed webhook; a to-do is created
open and the done call closes it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sim_helpers import CONFIG, fault, received, signed_webhook

E9 = "/weaver/rest/ofs"


def e9_todo(**overrides: object) -> dict:
    return {
        "syscode": "duban",
        "flowid": "task-7-2026Q1",
        "requestname": "【督办】老旧小区改造 一季度进展",
        "workflowname": "督办任务",
        "nodename": "报送进展",
        "pcurl": "https://duban.example/tasks/7",
        "appurl": "https://duban.example/m/tasks/7",
        "isremark": "0",
        "viewtype": "0",
        "creator": "duchashi",
        "createdatetime": "2026-03-20 09:00:00",
        "receiver": "zhangsan",
        "receivedatetime": "2026-03-20 09:00:00",
        "receivets": "1774000000000",
        **overrides,
    }


def todos(client: TestClient, system: str) -> list[dict]:
    return client.get("/_control/todos", params={"system": system}).json()


def test_weaver_todo_created_then_done(client: TestClient) -> None:
    answer = client.post(f"{E9}/ReceiveRequestInfoByJson", json=e9_todo()).json()
    assert answer == {
        "syscode": "duban",
        "dataType": "IsUse",
        "operType": "AutoNew",
        "operResult": "1",
        "message": "成功",
    }
    assert [(t["receiver"], t["state"]) for t in todos(client, "weaver")] == [("zhangsan", "open")]
    done = client.post(
        f"{E9}/ProcessDoneRequestByJson",
        json={"syscode": "duban", "flowid": "task-7-2026Q1", "receiver": "zhangsan"},
    ).json()
    assert done["operResult"] == "1"
    (todo,) = todos(client, "weaver")
    assert todo["state"] == "done" and todo["history"] == ["open", "done"]
    assert received(client, target="weaver")[0]["content"].startswith("待办：【督办】")


def test_weaver_update_by_isremark_and_stale_receivets(client: TestClient) -> None:
    client.post(f"{E9}/ReceiveRequestInfoByJson", json=e9_todo())
    edit = client.post(
        f"{E9}/ReceiveRequestInfoByJson", json=e9_todo(isremark="2", receivets="1774000000500")
    ).json()
    assert edit["operType"] == "AutoEdit" and edit["operResult"] == "1"
    stale = client.post(
        f"{E9}/ReceiveRequestInfoByJson", json=e9_todo(isremark="0", receivets="1774000000100")
    )
    assert stale.json()["operResult"] == "1"
    assert todos(client, "weaver")[0]["state"] == "done"


def test_weaver_refuses_missing_fields_and_unknown_syscode(client: TestClient) -> None:
    missing = client.post(f"{E9}/ReceiveRequestInfoByJson", json=e9_todo(receiver="")).json()
    assert missing["operResult"] == "0" and "receiver" in missing["message"]
    other = client.post(f"{E9}/ReceiveRequestInfoByJson", json=e9_todo(syscode="other")).json()
    assert other["operResult"] == "0"
    assert todos(client, "weaver") == []


def test_weaver_delete(client: TestClient) -> None:
    client.post(f"{E9}/ReceiveRequestInfoByJson", json=e9_todo())
    client.post(
        f"{E9}/deleteRequestInfoByJson", json={"syscode": "duban", "flowid": "task-7-2026Q1"}
    )
    assert todos(client, "weaver")[0]["state"] == "deleted"


def seeyon_token(client: TestClient) -> str:
    user, password = next(iter(CONFIG.seeyon_users.items()))
    answer = client.get(f"/seeyon/seeyon/rest/token/{user}/{password}")
    assert answer.status_code == 200
    return answer.json()["id"]


def seeyon_todo(**overrides: object) -> dict:
    return {
        "registerCode": "duban",
        "taskId": "task-7-2026Q1-lisi",
        "title": "【督办】老旧小区改造 一季度进展",
        "thirdSenderId": "duchashi",
        "senderName": "督查室",
        "thirdReceiverId": "lisi",
        "creationDate": "2026-03-20 09:00",
        "state": 0,
        "url": "https://duban.example/tasks/7",
        "h5url": "https://duban.example/m/tasks/7",
        **overrides,
    }


def test_seeyon_todo_created_then_done(client: TestClient) -> None:
    token = seeyon_token(client)
    answer = client.post(
        "/seeyon/seeyon/rest/thirdpartyPending/receive",
        json=seeyon_todo(),
        headers={"token": token},
    ).json()
    assert answer["success"] is True
    assert todos(client, "seeyon")[0]["state"] == "open"
    done = client.post(
        "/seeyon/seeyon/rest/thirdpartyPending/updatePendingState",
        json={"registerCode": "duban", "taskId": "task-7-2026Q1-lisi", "state": 1},
        params={"token": token},
    ).json()
    assert done["success"] is True
    assert todos(client, "seeyon")[0]["state"] == "done"


def test_seeyon_needs_a_token(client: TestClient) -> None:
    assert client.get("/seeyon/seeyon/rest/token/duban-rest/wrong").status_code == 401
    r = client.post(
        "/seeyon/seeyon/rest/thirdpartyPending/receive", json=seeyon_todo(), headers={"token": "x"}
    )
    assert r.status_code == 401
    token = seeyon_token(client)
    fault(client, target="seeyon", mode="token_invalid")
    r = client.post(
        "/seeyon/seeyon/rest/thirdpartyPending/receive",
        json=seeyon_todo(),
        headers={"token": token},
    )
    assert r.status_code == 401
    r = client.post(
        "/seeyon/seeyon/rest/thirdpartyPending/receive",
        json=seeyon_todo(),
        headers={"token": seeyon_token(client)},
    )
    assert r.json()["success"] is True


def test_webhook_todo_created_then_done(client: TestClient) -> None:
    created = {
        "event": "todo.created",
        "todo_id": "t-7",
        "receiver": "wangwu",
        "title": "报送一季度进展",
    }
    raw, headers = signed_webhook(created)
    assert client.post("/webhook/todo", content=raw, headers=headers).json() == {"ok": True}
    assert todos(client, "webhook")[0]["state"] == "open"
    raw, headers = signed_webhook({"event": "todo.done", "todo_id": "t-7"})
    assert client.post("/webhook/todo", content=raw, headers=headers).json() == {"ok": True}
    assert todos(client, "webhook")[0]["state"] == "done"


def test_webhook_refuses_a_bad_signature(client: TestClient) -> None:
    body = {"event": "todo.created", "todo_id": "t-8", "receiver": "wangwu", "title": "x"}
    raw, headers = signed_webhook(body, secret="wrong")
    assert client.post("/webhook/todo", content=raw, headers=headers).status_code == 401
    raw, headers = signed_webhook(body)
    headers["X-Duban-Timestamp"] = str(int(headers["X-Duban-Timestamp"]) - 1)
    assert client.post("/webhook/todo", content=raw, headers=headers).status_code == 401
    assert todos(client, "webhook") == []


def test_oa_injected_failures(client: TestClient) -> None:
    fault(client, target="weaver", mode="server_error")
    assert client.post(f"{E9}/ReceiveRequestInfoByJson", json=e9_todo()).status_code == 502
    fault(client, target="webhook", mode="busy")
    raw, headers = signed_webhook(
        {"event": "todo.created", "todo_id": "t", "receiver": "a", "title": "b"}
    )
    assert client.post("/webhook/todo", content=raw, headers=headers).status_code == 503
    assert client.get("/_control/todos").json() == []
