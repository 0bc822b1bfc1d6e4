"""Issue 13's defects in intake's review: a correction re-derives the task's normalised
units and the document's warnings; a draft can be discarded (who and when kept, the same
file taken in again afterwards); the document list says whose government each belongs to;
a document keeps the text it was read from, for the review page.
Each of these failed on main before the fix (units and warnings stayed as first read; no
DELETE route)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from test_intake_api import notice_text, upload

from services.intake.settings import IntakeSettings, intake_settings
from services.intake.spec import SPEC
from shared.config import Settings
from shared.runtime import Runtime


@pytest.fixture
def client(embedded_settings: Settings, admin_headers: dict[str, str]) -> Iterator[TestClient]:
    app = Runtime(embedded_settings, [SPEC]).create_app()
    app.dependency_overrides[intake_settings] = lambda: IntakeSettings(max_upload_mb=1)
    with TestClient(app, headers=admin_headers) as test_client:
        yield test_client


def codes(document: dict, task: str) -> set[str]:
    return {w["code"] for w in document["warnings"] if w.get("task") == task}


def test_a_correction_re_derives_units_and_warnings(client: TestClient) -> None:
    doc_id = upload(client, notice_text().encode("utf-8")).json()["id"]
    emptied = client.patch(
        f"/documents/{doc_id}/tasks/2", json={"lead_units": [], "responsible_units": []}
    ).json()
    second = emptied["tasks"][1]
    assert second["units"] == [], "no unit left: none in the normalised list either"
    assert "NO_LEAD_UNIT" in codes(emptied, "（二）"), "the warning follows the correction"
    mended = client.patch(
        f"/documents/{doc_id}/tasks/2",
        json={"lead_units": ["县发改委"], "responsible_units": ["县住建局", "统计局"]},
    ).json()
    units = {(u["name"], u["role"]) for u in mended["tasks"][1]["units"]}
    assert units == {("县发改委", "lead"), ("县住建局", "responsible"), ("县统计局", "responsible")}
    assert "NO_LEAD_UNIT" not in codes(mended, "（二）"), "and goes when it no longer holds"


def test_a_leader_taken_off_a_task_is_warned_about(client: TestClient) -> None:
    doc_id = upload(client, notice_text().encode("utf-8")).json()["id"]
    edited = client.patch(f"/documents/{doc_id}/tasks/3", json={"leaders": []}).json()
    assert "NO_LEADER" in codes(edited, "（三）")


def test_a_draft_can_be_discarded_and_taken_in_again(client: TestClient) -> None:
    data = notice_text().encode("utf-8")
    doc_id = upload(client, data).json()["id"]
    discarded = client.delete(f"/documents/{doc_id}")
    assert discarded.status_code == 200, discarded.text
    assert discarded.json()["status"] == "discarded" and discarded.json()["discarded_by"]
    assert client.post(f"/documents/{doc_id}/publish").status_code == 409
    assert client.patch(f"/documents/{doc_id}/tasks/1", json={"text": "改"}).status_code == 409
    assert client.delete(f"/documents/{doc_id}").status_code == 409, "once"
    again = upload(client, data)
    assert again.status_code == 201 and again.json()["id"] != doc_id, "a new draft"
    listed = {d["id"]: d for d in client.get("/documents").json()}
    assert listed[doc_id]["status"] == "discarded"
    assert listed[again.json()["id"]]["government_id"] == "default", "whose draft it is"


def test_a_published_notice_cannot_be_discarded(client: TestClient) -> None:
    doc_id = upload(client, notice_text().encode("utf-8")).json()["id"]
    assert client.post(f"/documents/{doc_id}/publish").status_code == 200
    refused = client.delete(f"/documents/{doc_id}")
    assert refused.status_code == 409 and "已发布" in refused.json()["detail"]


def test_a_document_keeps_the_text_it_was_read_from(client: TestClient) -> None:
    """The review page shows the draft beside the original, whoever took the file in."""
    doc_id = upload(client, notice_text().encode("utf-8")).json()["id"]
    shown = client.get(f"/documents/{doc_id}").json()
    assert shown["text"].startswith("青川县人民政府") and "牵头单位：县发改委" in shown["text"]
