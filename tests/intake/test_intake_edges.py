"""Issue 10's hardened edges of intake, in process: the OA signature covers the government
and the file name, a replay gets its first answer, file names are stored clean, uploads are
rate limited per credential and per address, notices over the configured size or task
count are refused in Chinese, and the OpenAPI describes the upload and push bodies."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.intake.filenames import clean_filename
from services.intake.models import Document, OaReceipt
from services.intake.settings import IntakeSettings, intake_settings
from services.intake.signing import sign
from services.intake.spec import SPEC
from shared.config import Settings
from shared.identity.credentials import CREDENTIAL
from shared.identity.verify import hash_token
from shared.ratelimit import RateLimiter, RateSettings
from shared.runtime import Runtime

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "qingchuan-2026-notice.txt"
NOTICE = EXAMPLE.read_text(encoding="utf-8")
SECRET = "edges-oa-secret"
OTHER_TOKEN = "edges-second-supervisor-token-0123456789"


def code_of(response: Any) -> str:
    """The error's code, in the shape of today's handlers or the normalised one."""
    body = response.json()
    return body.get("code") or body["detail"]["code"]


def message_of(response: Any) -> str:
    body = response.json()
    detail = body["detail"]
    return detail["message"] if isinstance(detail, dict) else detail


@pytest.fixture
def runtime(embedded_settings: Settings) -> Runtime:
    return Runtime(embedded_settings, [SPEC])


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    app = runtime.create_app()
    app.dependency_overrides[intake_settings] = lambda: IntakeSettings(
        max_upload_mb=1, oa_webhook_secret=SECRET, max_notice_chars=20_000, max_tasks=10
    )
    return app


@pytest.fixture
def client(app: FastAPI, admin_headers: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(app, headers=admin_headers) as test_client:
        yield test_client


def documents(runtime: Runtime) -> list[Document]:
    with runtime.services["intake"].sessions() as session:
        return list(session.scalars(select(Document)))


def push_headers(
    body: bytes, *, government: str = "", filename: str = "%E9%80%9A%E7%9F%A5.txt"
) -> dict[str, str]:
    stamp = str(int(time.time()))
    headers = {
        "X-Duban-Timestamp": stamp,
        "X-Duban-Signature": sign(SECRET, stamp, body, government=government, filename=filename),
        "X-Duban-Filename": filename,
    }
    if government:
        headers["X-Duban-Government"] = government
    return headers


# -- the OA signature -------------------------------------------------------------------------


def test_the_signature_covers_the_government_and_the_file_name(
    client: TestClient, runtime: Runtime
) -> None:
    body = NOTICE.encode()
    signed = push_headers(body, government="default", filename="a.txt")
    other_name = {**signed, "X-Duban-Filename": "b.txt"}
    other_government = {**signed, "X-Duban-Government": "gov-b"}
    no_government = {k: v for k, v in signed.items() if k != "X-Duban-Government"}
    for headers in (other_name, other_government, no_government):
        refused = client.post("/oa/documents", content=body, headers=headers)
        assert refused.status_code == 401, refused.text
        assert "签名不正确" in refused.json()["detail"]
    assert documents(runtime) == []
    taken = client.post("/oa/documents", content=body, headers=signed)
    assert taken.status_code == 201, taken.text
    assert (taken.json()["filename"], taken.json()["government_id"]) == ("a.txt", "default")


def test_a_push_is_checked_before_its_body_is_read(client: TestClient) -> None:
    """Headers wrong: refused whatever the body, the body limit not even reached."""
    big = b"x" * (3 * 1024 * 1024)  # over the 1 MB limit
    cases = {
        "no signature": {"X-Duban-Timestamp": str(int(time.time()))},
        "old": {"X-Duban-Timestamp": "1000", "X-Duban-Signature": "0" * 64},
        "malformed": {"X-Duban-Timestamp": str(int(time.time())), "X-Duban-Signature": "zz"},
    }
    for what, headers in cases.items():
        response = client.post("/oa/documents", content=iter([big]), headers=headers)
        assert response.status_code == 401, (what, response.text)
        assert response.headers.get("connection") == "close", what


def test_a_replayed_push_gets_the_first_answer_and_no_second_document(
    client: TestClient, runtime: Runtime
) -> None:
    body = NOTICE.encode()
    headers = push_headers(body)
    first = client.post("/oa/documents", content=body, headers=headers)
    again = client.post("/oa/documents", content=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json()["id"] == first.json()["id"]
    assert len(documents(runtime)) == 1
    with runtime.services["intake"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(OaReceipt)) == 1
    time.sleep(1.1)  # a fresh push of the same bytes (new timestamp): not a replay
    fresh = client.post("/oa/documents", content=body, headers=push_headers(body))
    assert (fresh.status_code, fresh.json()["id"]) == (200, first.json()["id"])


def test_receipts_are_dropped_once_their_push_cannot_be_replayed(
    client: TestClient, runtime: Runtime
) -> None:
    body = NOTICE.encode()
    assert client.post("/oa/documents", content=body, headers=push_headers(body)).is_success
    with runtime.services["intake"].sessions.begin() as session:
        session.execute(OaReceipt.__table__.update().values(expires_at=int(time.time()) - 1))
    other = NOTICE.replace("青政〔2026〕3号", "青政〔2026〕4号").encode()
    assert client.post("/oa/documents", content=other, headers=push_headers(other)).is_success
    with runtime.services["intake"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(OaReceipt)) == 1


# -- file names -------------------------------------------------------------------------------

DIRTY = "..\\..\\C:\\公文\\../../通知\x00\x1b[31m\u202egpj.exe\u200b"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Windows\\通知.docx", "通知.docx"),
        ("C:通知.docx", "通知.docx"),
        ("通知\u202efdp.exe", "通知fdp.exe"),
        ("\u2066通\u2069知\r\n.txt", "通知 .txt"),
        ("a\x00b\x07c\x7f.txt", "abc.txt"),
        ("..", ""),
        (".hidden", "hidden"),
        ("  ", ""),
        ("名" * 400 + ".docx", "名" * 250 + ".docx"),
        (DIRTY, "通知[31mgpj.exe"),
    ],
)
def test_clean_filename(sent: str, stored: str) -> None:
    assert clean_filename(sent) == stored


def test_every_door_stores_the_file_name_clean(client: TestClient) -> None:
    sent = DIRTY.replace("\x00", "")  # a form's file name cannot hold NUL: httpx sends %00
    upload = client.post("/documents/upload", files={"file": (sent, NOTICE.encode())})
    assert upload.status_code == 201, upload.text
    text = NOTICE.replace("青政〔2026〕3号", "青政〔2026〕5号")
    pasted = client.post("/documents/text", json={"text": text, "filename": DIRTY})
    assert pasted.status_code == 201, pasted.text
    body = NOTICE.replace("青政〔2026〕3号", "青政〔2026〕6号").encode()
    quoted = "..%2F..%2FC%3A%5C%E9%80%9A%E7%9F%A5%E2%80%AEgpj.exe%00"
    pushed = client.post("/oa/documents", content=body, headers=push_headers(body, filename=quoted))
    assert pushed.status_code == 201, pushed.text
    assert upload.json()["filename"] == pasted.json()["filename"] == "通知[31mgpj.exe"
    assert pushed.json()["filename"] == "通知gpj.exe"


# -- size and task count of a notice -----------------------------------------------------------


def test_a_notice_over_the_configured_size_is_refused_in_chinese(
    client: TestClient, runtime: Runtime
) -> None:
    long = NOTICE + "\n" + "补充说明。" * 5000  # 20,000 characters more
    pasted = client.post("/documents/text", json={"text": long})
    uploaded = client.post("/documents/upload", files={"file": ("长.txt", long.encode())})
    for response in (pasted, uploaded):
        assert response.status_code == 413, response.text
        assert code_of(response) == "too_large"
        assert "超过 20000 字的上限" in message_of(response)
    assert documents(runtime) == []


def test_a_notice_of_too_many_tasks_is_refused_in_chinese(
    app: FastAPI, client: TestClient, runtime: Runtime
) -> None:
    app.dependency_overrides[intake_settings] = lambda: IntakeSettings(max_tasks=3)
    response = client.post("/documents/text", json={"text": NOTICE})
    assert response.status_code == 422, response.text
    assert code_of(response) == "too_many_tasks"
    assert "解析出 4 项任务，超过每份通知 3 项的上限" in message_of(response)
    assert documents(runtime) == []


def test_a_json_body_over_its_limit_is_refused_while_it_streams(client: TestClient) -> None:
    """/documents/text takes 20,000 characters (6 bytes each as JSON, plus 64 KB)."""
    head, chunk = b'{"text": "', b"\\u4e00" * 10_000
    response = client.post(
        "/documents/text",
        content=iter([head, *[chunk] * 100]),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.json() == {"detail": message_of(response), "code": "too_large"}
    assert "通知全文最多 20000 字" in response.json()["detail"]
    declared = client.post(
        "/documents",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert declared.status_code == 413 and "1 MB" in declared.json()["detail"]


# -- rate limits ------------------------------------------------------------------------------


def add_supervisor(runtime: Runtime, token: str) -> dict[str, str]:
    with runtime.services["intake"].engine.begin() as conn:
        conn.execute(
            CREDENTIAL.insert().values(
                token_hash=hash_token(token),
                token_id=9001,
                name="second-supervisor",
                role="supervisor",
                government_id="default",
                units=[],
            )
        )
    return {"Authorization": f"Bearer {token}"}


def notice(n: int) -> bytes:
    return NOTICE.replace("青政〔2026〕3号", f"青政〔2026〕{100 + n}号").encode()


def test_the_upload_after_the_limit_gets_429_with_retry_after(
    app: FastAPI, client: TestClient, runtime: Runtime
) -> None:
    app.state.rate_limiter = RateLimiter(RateSettings(upload="3/60", upload_address="100/60"))
    for n in range(3):
        ok = client.post("/documents/upload", files={"file": ("a.txt", notice(n))})
        assert ok.status_code == 201, ok.text
    limited = client.post("/documents/upload", files={"file": ("a.txt", notice(3))})
    assert limited.status_code == 429, limited.text
    assert code_of(limited) == "rate_limited" and "过于频繁" in message_of(limited)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    also = client.post("/documents/text", json={"text": notice(4).decode()})
    assert also.status_code == 429, "pasted text counts as an upload"
    other = add_supervisor(runtime, OTHER_TOKEN)
    fine = client.post("/documents/upload", files={"file": ("a.txt", notice(5))}, headers=other)
    assert fine.status_code == 201, "another credential is not limited"
    assert len(documents(runtime)) == 4


def test_uploads_are_limited_per_client_address(
    app: FastAPI, client: TestClient, admin_headers: dict[str, str]
) -> None:
    app.state.rate_limiter = RateLimiter(RateSettings(upload="100/60", upload_address="2/60"))
    for n in range(2):
        assert client.post("/documents/text", json={"text": notice(n).decode()}).is_success
    limited = client.post("/documents/text", json={"text": notice(2).decode()})
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    elsewhere = TestClient(app, headers=admin_headers, client=("10.1.2.3", 40000))
    fine = elsewhere.post("/documents/text", json={"text": notice(3).decode()})
    assert fine.status_code == 201, "another address is not limited"


def test_a_window_lets_requests_in_again_once_it_has_passed() -> None:
    now = [1000.0]
    limiter = RateLimiter(RateSettings(push="2/10", push_address="50/10"), clock=lambda: now[0])
    limiter.hit("push", "token", "1.2.3.4")
    now[0] += 4
    limiter.hit("push", "token", "1.2.3.4")
    with pytest.raises(Exception) as refused:
        limiter.hit("push", "token", "1.2.3.4")
    assert refused.value.headers == {"Retry-After": "6"}  # type: ignore[attr-defined]
    now[0] += 6
    limiter.hit("push", "token", "1.2.3.4")  # the first left the window
    limiter.settings = RateSettings(enabled=False)
    for _ in range(10):
        limiter.hit("push", "token", "1.2.3.4")


# -- OpenAPI ----------------------------------------------------------------------------------


def test_the_openapi_describes_the_upload_and_push_bodies(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    upload = paths["/documents/upload"]["post"]["requestBody"]["content"]
    file = upload["multipart/form-data"]["schema"]["properties"]["file"]
    assert (file["type"], file["format"]) == ("string", "binary")
    push = paths["/oa/documents"]["post"]
    assert push["requestBody"]["content"]["application/octet-stream"]["schema"]["format"] == (
        "binary"
    )
    headers = {p["name"] for p in push["parameters"] if p["in"] == "header"}
    assert headers >= {
        "X-Duban-Timestamp",
        "X-Duban-Signature",
        "X-Duban-Government",
        "X-Duban-Filename",
    }
