"""One event crosses all four services: intake publishes, tasks consumes and emits, notify
and reporting consume — on the embedded default and on PostgreSQL + Kafka."""

from __future__ import annotations

from fastapi.testclient import TestClient
from helpers import wait_until
from pydantic import SecretStr

from duban.services import specs
from shared.config import Settings
from shared.runtime import Runtime

OPERATOR = "flow-operator-token"
NOTICE = {
    "title": "关于印发青川县2026年政府工作报告重点工作任务分解的通知",
    "doc_number": "青政〔2026〕3号",
    "year": 2026,
    "tasks": [
        {
            "number": "（一）",
            "path": ["一、稳住经济大盘"],
            "text": "全年地区生产总值增长6%左右。",
            "leaders": ["王 明"],
            "lead_units": ["县发改委"],
            "responsible_units": ["县统计局"],
            "deadlines": [{"phrase": "年底前", "date": "2026-12-31"}],
        },
        {
            "number": "（二）",
            "path": ["一、稳住经济大盘"],
            "text": "6月底前建成县城第二污水处理厂。",
            "lead_units": ["县住建局"],
            "cooperating_units": ["县生态环境分局", "县住建局"],
            "deadlines": [{"phrase": "6月底前", "date": "2026-06-30"}],
        },
    ],
}


def test_an_event_crosses_all_four_services(
    settings: Settings, admin_headers: dict[str, str]
) -> None:
    operator = {"Authorization": f"Bearer {OPERATOR}"}
    runtime = Runtime(settings.model_copy(update={"operator_token": SecretStr(OPERATOR)}), specs())
    with TestClient(runtime.create_app(), headers=admin_headers) as client:
        created = client.post("/intake/documents", json=NOTICE)
        assert created.status_code == 201, created.text
        document_id = created.json()["id"]
        published = client.post(f"/intake/documents/{document_id}/publish")
        assert published.json()["published_tasks"] == 2

        def tasks() -> list[dict]:
            return client.get("/tasks/tasks", params={"document_id": document_id}).json()

        wait_until(lambda: len(tasks()) == 2, what="tasks to register both tasks")
        assert [t["number"] for t in tasks()] == ["（一）", "（二）"]
        assert tasks()[1]["units"] == ["县住建局", "县生态环境分局"]

        def notices() -> list[dict]:
            return client.get("/notify/notices").json()

        wait_until(lambda: len(notices()) == 4, what="notify to record one notice per unit")
        assert {(n["task_id"][-3:], n["unit"]) for n in notices()} == {
            ("001", "县发改委"),
            ("001", "县统计局"),
            ("002", "县住建局"),
            ("002", "县生态环境分局"),
        }
        wait_until(
            lambda: client.get("/reporting/overview").json()["task_count"] == 2,
            what="reporting to count both tasks",
        )
        overview = client.get("/reporting/overview").json()
        assert (overview["task_count"], overview["by_status"], overview["unit_count"]) == (
            2,
            {"assigned": 2},
            4,
        )
        assert sum(overview["by_signal"].values()) == 2

        again = client.post(f"/intake/documents/{document_id}/publish")
        assert again.json()["published_tasks"] == 0, "publishing twice publishes nothing new"
        for name in ("intake", "tasks", "notify", "reporting"):
            assert client.get(f"/{name}/readyz").json() == {"status": "ready"}
        assert client.get("/tasks/metrics").status_code == 401, "operators' only"
        metrics = client.get("/tasks/metrics", headers=operator).text
        assert 'duban_events_handled_total{service="tasks",type="task.defined"}' in metrics


def test_bad_drafts_get_a_clear_error_and_store_nothing(
    embedded_settings: Settings, admin_headers: dict[str, str]
) -> None:
    app = Runtime(embedded_settings, specs()).create_app()
    with TestClient(app, headers=admin_headers) as client:
        empty = client.post("/intake/documents", json={"title": "空通知", "tasks": []})
        assert empty.status_code == 422
        missing = client.post("/intake/documents/no-such-id/publish")
        assert missing.status_code == 404
        assert "找不到文件" in missing.json()["detail"]
        with Runtime(embedded_settings, specs("intake")).services["intake"].sessions() as session:
            from services.intake.models import Document

            assert session.query(Document).count() == 0
