"""Issue 10, acceptance 4: a whole scenario through `duban run`, with every secret set and a
phone number in the notice, a progress report and a query, then every log searched: no
secret, no issued token, no full phone number. The log is at debug level, the worst case,
and must show the requests (so the search is over something)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from helpers import duban_run, wait_for

from services.intake.signing import sign
from shared.logs import mask_phone, redact

PHONE = "13912345678"
SECRETS = {
    "DUBAN_ADMIN_TOKEN": "admin-4f1c9a7e2b6d8035e1a94c7b2f6d0e38",
    "DUBAN_OPERATOR_TOKEN": "operator-9b3e7a1c5d2f8064b7e19c3a5d7f2b40",
    "DUBAN_INTAKE_OA_WEBHOOK_SECRET": "webhook-6d2a8f4b1e9c7053a2d86f1b4c9e7a15",
    "DUBAN_SESSION_KEY": "session-3e8b1d6f9a2c7045e1b83d6a9f2c4e71",
}
PASSWORD = "Lk4t-Wq9m-Zr7v-2026"  # a person's, set by the admin and used to log in
NOTICE = (
    Path(__file__).resolve().parent.parent / "examples" / "qingchuan-2026-notice.txt"
).read_text(encoding="utf-8")
WITH_PHONE = NOTICE.replace(
    "牵头单位：县发改委\n", f"牵头单位：县发改委\n联系人：张某 {PHONE}\n", 1
)


def test_no_secret_token_or_phone_number_reaches_a_log(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    with duban_run(data_dir, DUBAN_LOG_LEVEL="debug", **SECRETS) as http:
        issued = _scenario(http)
    logs = [path for path in data_dir.rglob("*.log")]
    text = "\n".join(path.read_text(errors="replace") for path in logs)
    assert "POST /intake/documents/text" in text and "/progress" in text, "requests were logged"
    for name, value in {**SECRETS, **issued, "phone": PHONE, "password": PASSWORD}.items():
        assert value not in text, f"{name} in the log"


def _scenario(http: httpx.Client) -> dict[str, str]:
    """Tokens issued, a notice with a phone number taken in and published, a unit reports
    (a phone number in its words), an OA system pushes, a clerk searches by a phone number,
    a bad token and a bad body are refused, an operator reads the metrics."""
    for unit in ("县发改委", "县财政局"):
        http.put(
            f"/tasks/directory/units/{unit}", params={"government": "default"}, json={}
        ).raise_for_status()
    issued = {}
    for name, body in {
        "unit": {"role": "unit", "government_id": "default", "unit": "县发改委"},
        "oa": {"role": "integration", "government_id": "default", "units": ["县财政局"]},
    }.items():
        answer = http.post("/tasks/tokens", json={"name": name, **body})
        assert answer.status_code == 201, answer.text
        issued[name] = answer.json()["token"]
    document = http.post("/intake/documents/text", json={"text": WITH_PHONE})
    assert document.status_code == 201, document.text
    doc_id = document.json()["id"]
    assert http.post(f"/intake/documents/{doc_id}/publish").status_code == 200
    task = f"{doc_id}-001"
    wait_for(lambda: http.get(f"/tasks/tasks/{task}").is_success, "the task registered")
    unit = {"Authorization": f"Bearer {issued['unit']}"}
    report = {"unit": "县发改委", "percent": 40, "done": f"已对接，联系电话{PHONE}"}
    wait_for(
        lambda: (
            http.post(f"/tasks/tasks/{task}/progress", headers=unit, json=report).status_code == 201
        ),
        "the unit's report",
    )
    bad = {**report, "percent": PHONE}
    assert http.post(f"/tasks/tasks/{task}/progress", headers=unit, json=bad).status_code == 422
    assert http.get("/tasks/tasks", params={"unit": PHONE}).status_code in (200, 422)
    wrong = {"Authorization": f"Bearer {issued['unit']}x"}
    assert http.get("/tasks/tasks", headers=wrong).status_code == 401
    _oa_push(http, issued["oa"])
    operator = {"Authorization": f"Bearer {SECRETS['DUBAN_OPERATOR_TOKEN']}"}
    assert http.get("/tasks/metrics", headers=operator).status_code == 200
    issued["session"] = _a_person_logs_in(http)
    return issued


def _a_person_logs_in(http: httpx.Client) -> str:
    """An account made with a password, a wrong try, a login: the session cookie's value."""
    account = {
        "login": "zhang.san",
        "display_name": "张三",
        "role": "supervisor",
        "government_id": "default",
        "password": PASSWORD,
    }
    assert http.post("/tasks/accounts", json=account).status_code == 201
    wrong = {"login": "zhang.san", "password": PASSWORD + "x"}
    assert http.post("/tasks/login", json=wrong, headers={"Authorization": ""}).status_code == 401
    right = {"login": "zhang.san", "password": PASSWORD}
    logged_in = http.post("/tasks/login", json=right, headers={"Authorization": ""})
    assert logged_in.status_code == 200, logged_in.text
    session = next(v for k, v in logged_in.cookies.items() if "session" in k)
    http.cookies.clear()
    return session


def _oa_push(http: httpx.Client, token: str) -> None:
    body = WITH_PHONE.replace("青政〔2026〕3号", "青政〔2026〕4号").encode()
    timestamp = str(int(time.time()))
    secret = SECRETS["DUBAN_INTAKE_OA_WEBHOOK_SECRET"]
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Duban-Timestamp": timestamp,
        "X-Duban-Signature": sign(secret, timestamp, body),
    }
    wait_for(
        lambda: (
            http.post("/intake/oa/documents", content=body, headers=headers).status_code
            in (200, 201)
        ),
        "the OA push",
    )


def test_redaction_rules() -> None:
    assert mask_phone(f"电话{PHONE}。") == "电话139****5678。"
    assert mask_phone("编号202613912345678") == "编号202613912345678", "a longer number stays"
    line = (
        f'127.0.0.1:5 - "GET /tasks/tasks?unit={PHONE} HTTP/1.1" 200 token dbn_abcdefghij0123456789'
    )
    cleaned = redact(line, ("s3cret-value",))
    assert cleaned == '127.0.0.1:5 - "GET /tasks/tasks HTTP/1.1" 200 token dbn_***'
    assert redact("key s3cret-value here", ("s3cret-value",)) == "key *** here"
