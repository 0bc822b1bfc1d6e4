"""A notice whose values exceed the bounds of the contract it would be published under is
refused at publish, whole, with every value named in Chinese; the review page shows the same
problems before anyone presses publish. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.intake.bounds import LABELS
from services.intake.spec import SPEC
from shared.config import Settings
from shared.contracts.intake import DocumentPublishedV1, TaskDefinedV1
from shared.messaging.tables import OUTBOX
from shared.runtime import Runtime

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "qingchuan-2026-notice.txt"
LONG_HEADING = "二、持续改善民生" + "，切实保障和改善群众生活水平" * 28  # 400 characters


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Runtime:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    return Runtime(Settings(data_dir=tmp_path / "var", database_url=url), [SPEC])


@pytest.fixture
def client(runtime: Runtime, admin_headers: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(runtime.create_app(), headers=admin_headers) as test_client:
        yield test_client


def outbox(runtime: Runtime) -> list[dict]:
    with runtime.services["intake"].engine.connect() as conn:
        rows = conn.execute(select(OUTBOX.c.payload).order_by(OUTBOX.c.seq)).scalars()
        return [json.loads(payload) for payload in rows]


def long_heading_notice(client: TestClient) -> dict:
    text = EXAMPLE.read_text(encoding="utf-8").replace("二、持续改善民生", LONG_HEADING)
    response = client.post("/documents/text", json={"text": text})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_heading_beyond_the_contract_is_refused_at_publish_and_nothing_goes_out(
    client: TestClient, runtime: Runtime
) -> None:
    document = long_heading_notice(client)
    assert len(LONG_HEADING) == 400 and document["tasks"][2]["path"] == [LONG_HEADING]

    refused = client.post(f"/documents/{document['id']}/publish")

    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "out_of_bounds"
    assert body["problems"] == [
        "第3项任务的“所属章节”第1项不能超过 300 个字符",
        "第4项任务的“所属章节”第1项不能超过 300 个字符",
    ]
    assert body["detail"].endswith("请修改后再发布。")
    assert outbox(runtime) == []
    assert client.get(f"/documents/{document['id']}").json()["status"] == "draft"


def test_the_review_page_shows_the_problem_and_a_correction_clears_it(
    client: TestClient, runtime: Runtime
) -> None:
    document = long_heading_notice(client)
    warnings = [w for w in document["warnings"] if w["code"] == "out_of_bounds"]
    assert [(w["task"], w["message"]) for w in warnings] == [
        ("（三）", "第3项任务的“所属章节”第1项不能超过 300 个字符"),
        ("（四）", "第4项任务的“所属章节”第1项不能超过 300 个字符"),
    ]
    url = f"/documents/{document['id']}/tasks"
    for position in (3, 4):
        corrected = client.patch(f"{url}/{position}", json={"path": ["二、持续改善民生"]})
        assert corrected.status_code == 200, corrected.text
    assert not [w for w in corrected.json()["warnings"] if w["code"] == "out_of_bounds"]

    published = client.post(f"/documents/{document['id']}/publish")

    assert published.status_code == 200, published.text
    assert [e["type"] for e in outbox(runtime)] == ["task.defined"] * 4 + ["document.published"]


def test_a_correction_beyond_the_contract_is_named_by_task_and_field(
    client: TestClient, runtime: Runtime
) -> None:
    document = client.post(
        "/documents",
        json={
            "title": "甲县重点工作任务分解",
            "tasks": [
                {"number": "1", "text": "建成书屋", "lead_units": ["县文旅局"]},
                {"number": "2", "text": "改扩建小学", "lead_units": ["县教体局"]},
            ],
        },
    ).json()
    client.patch(
        f"/documents/{document['id']}/tasks/2",
        json={
            "lead_units": ["县教体局" * 60],
            "deadlines": [{"phrase": "年底前" * 70, "date": "2026-12-31"}],
            "targets": [{"phrase": "8座", "value": 8, "unit": "座" * 21}],
        },
    )

    refused = client.post(f"/documents/{document['id']}/publish")

    assert refused.status_code == 422
    assert refused.json()["problems"] == [
        "第2项任务的“牵头单位”第1项不能超过 200 个字符",
        "第2项任务的“时间节点”第1项的“原文”不能超过 200 个字符",
        "第2项任务的“量化目标”第1项的“计量单位”不能超过 20 个字符",
    ]
    assert outbox(runtime) == []


def test_every_field_a_reviewer_may_be_told_about_has_a_chinese_name() -> None:
    fields = {*TaskDefinedV1.model_fields, *DocumentPublishedV1.model_fields}
    for model in (TaskDefinedV1, DocumentPublishedV1):
        for nested in model.model_json_schema().get("$defs", {}).values():
            fields |= set(nested["properties"])
    assert fields <= set(LABELS), fields - set(LABELS)
