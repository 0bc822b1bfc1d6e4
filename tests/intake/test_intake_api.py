"""The intake service over HTTP: upload, review, correct, publish, OA push, bad input."""

from __future__ import annotations

import json
import os
import time
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.intake.models import Document
from services.intake.settings import IntakeSettings, intake_settings
from services.intake.signing import sign
from services.intake.spec import SPEC
from shared.config import Settings
from shared.messaging.tables import OUTBOX
from shared.runtime import Runtime

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "qingchuan-2026-notice.txt"
SECRET = "test-oa-secret"


@pytest.fixture
def runtime(embedded_settings: Settings) -> Runtime:
    return Runtime(embedded_settings, [SPEC])


@pytest.fixture
def client(runtime: Runtime, admin_headers: dict[str, str]) -> Iterator[TestClient]:
    """The bureau's client: the bootstrap admin token (roles: tests/test_authz_services.py)."""
    app = runtime.create_app()
    app.dependency_overrides[intake_settings] = lambda: IntakeSettings(
        max_upload_mb=1, oa_webhook_secret=SECRET
    )
    with TestClient(app, headers=admin_headers) as test_client:
        yield test_client


def notice_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def upload(client: TestClient, data: bytes, name: str = "通知.txt"):
    return client.post("/documents/upload", files={"file": (name, data)})


def document_count(runtime: Runtime) -> int:
    with runtime.services["intake"].sessions() as session:
        return session.scalar(select(func.count()).select_from(Document)) or 0


def outbox_events(runtime: Runtime) -> list[dict]:
    with runtime.services["intake"].engine.connect() as conn:
        rows = conn.execute(select(OUTBOX.c.payload).order_by(OUTBOX.c.seq)).scalars()
        return [json.loads(payload) for payload in rows]


def test_upload_reads_the_notice_into_a_draft(client: TestClient) -> None:
    response = upload(client, notice_text().encode("utf-8"))
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["doc_number"] == "青政〔2026〕3号"
    assert document["year"] == 2026 and document["kind"] == "notice"
    assert document["recipients"] == "各乡镇人民政府，各街道办事处，县政府各部门"
    assert [r["date"] for r in document["reporting_rounds"]] == [
        "2026-06-30",
        "2026-09-30",
        "2026-12-31",
    ]
    assert [t["number"] for t in document["tasks"]] == ["（一）", "（二）", "（三）", "（四）"]
    second = document["tasks"][1]
    assert second["leaders"] == ["李华", "张晓东"]
    assert second["deadlines"][0]["date"] == "2026-06-30"
    assert {t["unit"] for t in second["targets"]} >= {"亿元"}


def test_the_same_bytes_give_the_same_document(client: TestClient, runtime: Runtime) -> None:
    data = notice_text().encode("utf-8")
    first = upload(client, data)
    again = upload(client, data, "重新上传.txt")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert document_count(runtime) == 1


def test_gbk_text_is_read_without_mangling(client: TestClient) -> None:
    response = upload(client, notice_text().encode("gbk"))
    assert response.status_code == 201, response.text
    assert response.json()["tasks"][2]["lead_units"] == ["县人社局"]


def test_review_edit_and_publish_once(client: TestClient, runtime: Runtime) -> None:
    document = upload(client, notice_text().encode("utf-8")).json()
    doc_id = document["id"]
    edited = client.patch(f"/documents/{doc_id}/tasks/3", json={"cooperating_units": ["县财政局"]})
    assert edited.status_code == 200
    assert edited.json()["tasks"][2]["cooperating_units"] == ["县财政局"]
    published = client.post(f"/documents/{doc_id}/publish")
    assert published.json() == {"document_id": doc_id, "published_tasks": 4}
    assert client.post(f"/documents/{doc_id}/publish").json()["published_tasks"] == 0
    late = client.patch(f"/documents/{doc_id}/tasks/1", json={"text": "改"})
    assert late.status_code == 409 and "已发布" in late.json()["detail"]
    events = outbox_events(runtime)
    assert [e["type"] for e in events] == ["task.defined"] * 4 + ["document.published"]
    third = events[2]["data"]
    assert third["cooperating_units"] == ["县财政局"] and third["year"] == 2026
    assert events[4]["data"]["reporting_dates"] == ["2026-06-30", "2026-09-30", "2026-12-31"]


def test_a_corrected_notice_shows_what_changed_and_republishes_only_that(
    client: TestClient, runtime: Runtime
) -> None:
    original = upload(client, notice_text().encode("utf-8")).json()
    client.post(f"/documents/{original['id']}/publish")
    corrected_text = (
        notice_text()
        .replace("6月底前县城第二污水处理厂建成投用", "9月底前县城第二污水处理厂建成投用")
        .split("（四）")[0]
        + "（四）年底前新建城市书屋8座。\n责任领导：赵丽\n牵头单位：县文旅局\n"
    )
    corrected = upload(client, corrected_text.encode("utf-8"), "更正.txt").json()
    assert corrected["supersedes_id"] == original["id"] and corrected["revision"] == 2
    changes = corrected["changes"]
    assert [c["number"] for c in changes["changed"]] == ["（二）", "（四）"]
    assert changes["added"] == [] and changes["removed"] == []
    assert corrected["tasks"][1]["task_id"] == original["tasks"][1]["task_id"]
    assert client.post(f"/documents/{corrected['id']}/publish").json()["published_tasks"] == 2
    assert client.get(f"/documents/{original['id']}").json()["status"] == "superseded"
    republished = [e["data"] for e in outbox_events(runtime)[5:] if e["type"] == "task.defined"]
    assert [(e["number"], e["revision"]) for e in republished] == [("（二）", 2), ("（四）", 2)]


def test_a_task_without_units_cannot_be_published(client: TestClient) -> None:
    doc_id = upload(client, notice_text().encode("utf-8")).json()["id"]
    client.patch(f"/documents/{doc_id}/tasks/2", json={"lead_units": [], "responsible_units": []})
    refused = client.post(f"/documents/{doc_id}/publish")
    assert refused.status_code == 409
    assert "（二）" in refused.json()["detail"] and "牵头单位" in refused.json()["detail"]


def test_a_narrative_report_is_recognised_and_not_published(client: TestClient) -> None:
    report = (
        "政府工作报告\n——2026年1月8日在青川县第十八届人民代表大会第六次会议上\n县长 王明\n"
        "各位代表：\n现在，我代表县人民政府，向大会报告工作，请予审议。\n"
        "一、2025年工作回顾\n过去一年，全县地区生产总值增长6.5%，城镇新增就业3100人。\n"
        "二、2026年工作安排\n今年经济社会发展的主要预期目标是：地区生产总值增长6%左右，"
        "一般公共预算收入增长5%以上，城镇新增就业3000人以上。\n"
        "6月底前完成2025年老旧小区改造项目，年底前建成县城第二污水处理厂。\n"
    )
    response = client.post("/documents/text", json={"text": report, "filename": "报告.txt"})
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "report"
    refused = client.post(f"/documents/{response.json()['id']}/publish")
    assert refused.status_code == 409 and "工作报告" in refused.json()["detail"]


def signed_headers(body: bytes, timestamp: int | None = None, secret: str = SECRET) -> dict:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    name = "%E9%80%9A%E7%9F%A5.txt"
    return {
        "X-Duban-Timestamp": stamp,
        "X-Duban-Signature": sign(secret, stamp, body, filename=name),
        "X-Duban-Filename": name,
    }


def test_an_oa_push_with_a_good_signature_is_taken_in(client: TestClient) -> None:
    body = notice_text().encode("utf-8")
    response = client.post("/oa/documents", content=body, headers=signed_headers(body))
    assert response.status_code == 201, response.text
    assert response.json()["source"] == "oa" and response.json()["filename"] == "通知.txt"


@pytest.mark.parametrize("case", ["wrong secret", "too old", "tampered", "unsigned"])
def test_a_bad_oa_push_gets_401_and_stores_nothing(
    case: str, client: TestClient, runtime: Runtime
) -> None:
    body = notice_text().encode("utf-8")
    headers = {
        "wrong secret": signed_headers(body, secret="guess"),
        "too old": signed_headers(body, timestamp=int(time.time()) - 3600),
        "tampered": signed_headers(body + b"x"),
        "unsigned": {},
    }[case]
    response = client.post("/oa/documents", content=body, headers=headers)
    assert response.status_code == 401
    assert "推送未通过验证" in response.json()["detail"]
    assert document_count(runtime) == 0


def zip_bomb() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(300):
                member.write(chunk)
    return buffer.getvalue()


BAD_INPUTS = {
    "empty": (b"", "通知.txt", 422),
    "binary noise": (os.urandom(4096), "通知.bin", 422),
    "corrupt docx": (b"PK\x03\x04" + os.urandom(2000), "通知.docx", 422),
    "legacy doc": (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 2048, "通知.doc", 422),
    "zip bomb": (zip_bomb(), "通知.docx", 422),
    "too large": (b"a" * (2 * 1024 * 1024), "通知.txt", 413),
    "not a notice": ("今天天气很好，我们去公园散步。".encode(), "随笔.txt", 422),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gets_a_clear_4xx_and_nothing_is_stored(
    case: str, client: TestClient, runtime: Runtime
) -> None:
    data, name, expected = BAD_INPUTS[case]
    response = upload(client, data, name)
    assert response.status_code == expected, response.text
    body = response.json()
    message = body["detail"]
    assert isinstance(message, str) and body["code"], body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    assert document_count(runtime) == 0
    assert client.get("/healthz").status_code == 200


def test_a_docx_upload_gives_the_same_draft_as_the_text(client: TestClient) -> None:
    from docx import Document as WordDocument

    word = WordDocument()
    for line in notice_text().splitlines():
        word.add_paragraph(line)
    buffer = BytesIO()
    word.save(buffer)
    from_docx = upload(client, buffer.getvalue(), "通知.docx").json()
    from_text = client.post("/documents/text", json={"text": notice_text()}).json()
    assert from_docx["format"] == "docx" and from_text["format"] == "txt"
    fields = (
        "number",
        "path",
        "text",
        "leaders",
        "lead_units",
        "responsible_units",
        "cooperating_units",
        "deadlines",
        "targets",
    )
    assert [{f: t[f] for f in fields} for t in from_docx["tasks"]] == [
        {f: t[f] for f in fields} for t in from_text["tasks"]
    ]


def test_a_malformed_request_is_explained_in_chinese(client: TestClient) -> None:
    response = client.post("/documents", json={"title": "", "year": "明年", "tasks": []})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert {e["loc"][-1] for e in body["errors"]} == {"title", "year", "tasks"}
    message = body["detail"]
    assert "请求内容“title”：不能少于 1 个字符" in message
    assert "请求内容“year”：应为整数" in message
    assert "请求内容“tasks”：至少需要 1 项" in message
