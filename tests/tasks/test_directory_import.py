"""Importing the unit directory from the files a bureau really has: an Excel sheet, a CSV
saved by Excel on Windows (GB18030), a CSV in UTF-8; and clear errors for broken ones."""

from __future__ import annotations

from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from duban.services import specs
from shared.config import Settings
from shared.runtime import Runtime

ROWS = [
    ("名称", "类型", "别名", "成员"),
    ("县发改委", "单位", "县发展改革委、发改委", ""),
    ("县财政局", "单位", "", ""),
    ("城关镇人民政府", "单位", "城关镇", ""),
    ("青溪镇人民政府", "单位", "", ""),
    ("各乡镇人民政府", "分组", "各乡镇", "城关镇人民政府、青溪镇人民政府"),
]


def xlsx() -> bytes:
    book = Workbook()
    for row in ROWS:
        book.active.append(list(row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text() -> str:
    return "\n".join(",".join(row) for row in ROWS) + "\n"


@pytest.fixture
def client(tasks_settings: Settings, admin_headers: dict[str, str]) -> TestClient:
    with TestClient(Runtime(tasks_settings, specs("tasks")).create_app()) as test_client:
        test_client.headers.update(admin_headers)
        yield test_client


@pytest.mark.parametrize(
    "payload",
    [xlsx(), csv_text().encode("gb18030"), csv_text().encode("utf-8-sig")],
    ids=["excel", "csv-gb18030", "csv-utf8-bom"],
)
def test_the_directory_imports_from_each_format(client: TestClient, payload: bytes) -> None:
    response = client.post("/directory/import", content=payload, params={"government": "g1"})
    assert response.json() == {"imported": 5, "tasks_updated": 0}, response.text
    units = {
        u["name"]: u for u in client.get("/directory/units", params={"government": "g1"}).json()
    }
    assert units["县发改委"]["aliases"] == ["县发展改革委", "发改委"]
    assert units["各乡镇人民政府"]["kind"] == "group"
    assert units["各乡镇人民政府"]["members"] == ["城关镇人民政府", "青溪镇人民政府"]


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"PK\x03\x04broken", "Excel"),
        ("名称,类型\n,单位\n".encode(), "第 2 行"),
        ("名称,类型\n县财政局,部门\n".encode(), "无法识别"),
    ],
    ids=["broken-excel", "missing-name", "unknown-kind"],
)
def test_a_broken_file_is_refused_and_nothing_is_imported(
    client: TestClient, payload: bytes, words: str
) -> None:
    response = client.post("/directory/import", content=payload, params={"government": "g1"})
    assert response.status_code == 422 and words in response.json()["detail"]
    assert client.get("/directory/units", params={"government": "g1"}).json() == []
