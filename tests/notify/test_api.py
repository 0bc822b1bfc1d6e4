"""The notify API: contacts kept by the bureau (by hand and by file), deliveries listed as
each caller may see them, templates edited, and mobile numbers masked for everyone but the
bureau, in every list and in every log line."""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator

import pytest
from delivery_world import GOV, MORNING, contact, deliver_event, reminder, sender, sms, wecom
from fastapi.testclient import TestClient

from services.notify.channels.base import Outcome
from shared.contracts.tasks import TokenIssuedV1
from shared.identity.verify import identity_settings
from shared.logs import RedactingFormatter
from shared.web import create_service_app

ADMIN = "notify-admin-token-0123456789"


@pytest.fixture
def api(notify, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DUBAN_ADMIN_TOKEN", ADMIN)
    identity_settings.cache_clear()
    tokens = {
        "sup": dict(role="supervisor", government_id=GOV),
        "other-sup": dict(role="supervisor", government_id="gov-b"),
        "zhujian": dict(role="unit", government_id=GOV, unit="县住建局"),
        "caizheng": dict(role="unit", government_id=GOV, unit="县财政局"),
        "wangming": dict(role="leader", government_id=GOV, leader="王明"),
    }
    for n, (name, rights) in enumerate(tokens.items(), start=1):
        token_hash = hashlib.sha256(name.encode()).hexdigest()
        deliver_event(notify, TokenIssuedV1(token_id=n, token_hash=token_hash, name=name, **rights))
    with TestClient(create_service_app(notify)) as client:
        yield client
    monkeypatch.delenv("DUBAN_ADMIN_TOKEN")
    identity_settings.cache_clear()


def as_(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN if who == 'admin' else who}"}


ZHUJIAN = {
    "owner": "县住建局",
    "post": "办公室主任",
    "name": "李四",
    "wecom_userid": "lisi",
    "mobile": "+86 139-1234-5678",
    "channels": ["企业微信", "短信"],
}


def test_the_bureau_keeps_contacts_and_a_unit_sees_its_own_masked(api: TestClient) -> None:
    made = api.post("/contacts", json=ZHUJIAN, headers=as_("sup"))
    assert made.status_code == 201, made.text
    assert made.json()["mobile"] == "13912345678"
    assert made.json()["channels"] == ["wecom_app", "sms"]
    other = {**ZHUJIAN, "owner": "县财政局", "mobile": "13800001111"}
    assert api.post("/contacts", json=other, headers=as_("sup")).status_code == 201
    assert [c["owner"] for c in api.get("/contacts", headers=as_("sup")).json()] == [
        "县住建局",
        "县财政局",
    ]
    own = api.get("/contacts", headers=as_("zhujian")).json()
    assert [(c["owner"], c["mobile"]) for c in own] == [("县住建局", "139****5678")]
    assert api.get("/contacts", headers=as_("wangming")).json() == []
    assert api.get("/contacts", headers=as_("other-sup")).json() == []
    assert api.post("/contacts", json=ZHUJIAN, headers=as_("zhujian")).status_code == 403
    bad = api.post("/contacts", json={**ZHUJIAN, "mobile": "12345"}, headers=as_("sup"))
    assert bad.status_code == 422 and "手机号" in bad.text
    # the post stays, the person changes
    contact_id = made.json()["id"]
    changed = api.put(
        f"/contacts/{contact_id}", json={**ZHUJIAN, "name": "王五"}, headers=as_("sup")
    )
    assert changed.status_code == 200 and changed.json()["name"] == "王五"
    assert (
        api.put(f"/contacts/{contact_id}", json=ZHUJIAN, headers=as_("other-sup")).status_code
        == 404
    )
    assert api.delete(f"/contacts/{contact_id}", headers=as_("sup")).status_code == 204
    assert [c["owner"] for c in api.get("/contacts", headers=as_("sup")).json()] == ["县财政局"]


CSV = (
    "单位,领导,岗位,姓名,企业微信账号,手机号,接收渠道,免打扰豁免\n"
    "县住建局,,办公室主任,李四,lisi,13912345678,企业微信、短信,否\n"
    ",王明,本人,王明,wangming,13700002222,企业微信,是\n"
)


def test_a_contact_file_is_imported_whole_or_not_at_all(api: TestClient) -> None:
    bad = CSV + "县财政局,,联络员,,,1391234,飞鸽,也许\n"
    refused = api.post("/contacts/import", content=bad.encode("gbk"), headers=as_("sup"))
    assert refused.status_code == 422
    (row_error,) = refused.json()["errors"]
    assert row_error.startswith("第 4 行：") and "缺少姓名" in row_error
    assert "手机号" in row_error and "飞鸽" in row_error and "免打扰豁免" in row_error
    assert api.get("/contacts", headers=as_("sup")).json() == []
    done = api.post("/contacts/import", content=CSV.encode("gbk"), headers=as_("sup"))
    assert done.json() == {"imported": 2}
    listed = api.get("/contacts", headers=as_("wangming")).json()
    assert [(c["owner_kind"], c["owner"], c["quiet_exempt"]) for c in listed] == [
        ("leader", "王明", True)
    ]


def test_an_excel_contact_file_is_imported(api: TestClient) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for line in CSV.strip().splitlines():
        cells = line.split(",")
        sheet.append([int(c) if c.isdigit() else c or None for c in cells])  # a number cell
    data = io.BytesIO()
    book.save(data)
    done = api.post("/contacts/import", content=data.getvalue(), headers=as_("sup"))
    assert done.status_code == 200, done.text
    mobiles = {c["name"]: c["mobile"] for c in api.get("/contacts", headers=as_("sup")).json()}
    assert mobiles == {"李四": "13912345678", "王明": "13700002222"}


def test_deliveries_are_listed_as_each_caller_may_see_them(api: TestClient, notify) -> None:
    contact(notify, owner="县住建局", mobile="13912345678", channels=("sms",))
    contact(notify, owner="县财政局")
    text = sms(script=[Outcome.in_doubt("timeout", "请求超时")])
    deliver_event(notify, reminder(units=("县住建局", "县财政局", "县环保局")))
    sender(notify, text, wecom()).drain(MORNING)
    everything = api.get("/deliveries", headers=as_("sup")).json()
    assert {(d["owner"], d["status"]) for d in everything} == {
        ("县住建局", "in_doubt"),
        ("县财政局", "delivered"),
        ("县环保局", "skipped"),
    }
    mine = api.get("/deliveries", headers=as_("zhujian")).json()
    assert [(d["owner"], d["channel"]) for d in mine] == [("县住建局", "sms")]
    assert mine[0]["history"][0]["address"] == "139****5678"
    assert api.get("/deliveries", headers=as_("wangming")).json() == []
    assert api.get("/deliveries", headers=as_("other-sup")).json() == []
    only = api.get("/deliveries", params={"status": "skipped"}, headers=as_("sup")).json()
    assert [d["last_message"] for d in only] == ["县环保局未登记联系人"]
    # resending the doubtful SMS is the bureau's decision, and recorded
    doubtful = mine[0]["id"]
    assert api.post(f"/deliveries/{doubtful}/retry", headers=as_("zhujian")).status_code == 403
    resent = api.post(f"/deliveries/{doubtful}/retry", headers=as_("sup"))
    assert resent.status_code == 200, resent.text
    assert resent.json()["status"] == "pending"
    assert resent.json()["history"][-1]["actor"] == "sup"
    again = api.post(f"/deliveries/{doubtful}/retry", headers=as_("sup"))
    assert again.status_code == 409


def test_templates_are_edited_by_the_bureau_and_used(api: TestClient, notify) -> None:
    listed = api.get("/templates", headers=as_("sup")).json()
    assert {t["kind"] for t in listed} >= {"before_due", "digest", "urge"}
    assert api.get("/templates", headers=as_("zhujian")).status_code == 403
    body = {"title": "请注意", "body": "{owner}：任务{task_number}，{due}到期。办理：{link}"}
    wrong = api.put("/templates/before_due", json={**body, "body": "{nope}"}, headers=as_("sup"))
    assert wrong.status_code == 422 and "nope" in wrong.text
    assert api.put("/templates/before_due", json=body, headers=as_("sup")).status_code == 200
    contact(notify)
    app = wecom()
    deliver_event(notify, reminder())
    sender(notify, app).drain(MORNING)
    assert (
        app.calls[0].body
        == "县住建局：任务（二），6月30日到期。办理：http://127.0.0.1:8000/tasks/tasks/T1"
    )


def test_no_log_line_shows_a_full_mobile_number(notify, caplog) -> None:
    contact(notify, mobile="13912345678", channels=("sms",))
    text = sms(script=[RuntimeError("gateway refused 13912345678")])
    deliver_event(notify, reminder())
    with caplog.at_level(logging.DEBUG):
        sender(notify, text).drain(MORNING)
    raw = "\n".join(r.getMessage() for r in caplog.records)
    assert "13912345678" not in raw and "139****5678" in raw
    formatted = "\n".join(RedactingFormatter().format(r) for r in caplog.records)
    assert "13912345678" not in formatted
    assert "13912345678" not in repr(text.calls[0])


def test_contact_bodies_are_strict_and_errors_carry_their_code(api: TestClient) -> None:
    """A contact body takes no text for a boolean, no number for a text and no unknown field
    (shared.validation.ApiModel); every error says its ``code`` (docs/errors.md); a method
    the import does not have is 405, not a contact id that is no number."""
    for bad in ({"quiet_exempt": "true"}, {"quiet_exempt": 1}, {"name": 5}, {"extra": "x"}):
        answer = api.post("/contacts", json={**ZHUJIAN, **bad}, headers=as_("sup"))
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["code"] == "invalid", answer.text
    nothing = api.post("/contacts", json={"owner": "县住建局", "name": "李四"}, headers=as_("sup"))
    assert (nothing.status_code, nothing.json()["code"]) == (422, "invalid"), nothing.text
    missing = api.put("/contacts/999", json=ZHUJIAN, headers=as_("sup"))
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found"), missing.text
    assert api.put("/contacts/import", headers=as_("sup")).status_code == 405
