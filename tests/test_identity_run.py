"""Issue 10 through the real entry point: `duban run` in a subprocess, HTTP only. Every door
is locked; a unit of government A reaches nothing of government B; a forged correction (an
anonymous caller, or another government's supervisor, sending a notice with A's 文号) changes
nothing, a legitimate one names its author in the task's timeline; a token revoked at the
tasks service is refused by intake, notify and reporting within 30 s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from helpers import duban_run, wait_for

GOV_A, GOV_B = "default", "gov-b"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "qingchuan-2026-notice.txt"
NOTICE = EXAMPLE.read_text(encoding="utf-8")  # 青政〔2026〕3号
CORRECTED = NOTICE.replace("全年地区生产总值增长6%左右", "全年地区生产总值增长6.5%左右")
FORGED = NOTICE.replace("全年地区生产总值增长6%左右", "全年地区生产总值零增长")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_every_door_locked_through_duban_run(tmp_path: Path) -> None:
    with duban_run(tmp_path / "var") as http:
        _anonymous_is_refused(http)
        tokens = _tokens(http)
        doc_a, task = _published_in_a(http)
        _a_unit_reaches_nothing_of_b(http, tokens["unit-A"], doc_a)
        _forged_correction_changes_nothing(http, tokens["supervisor-B"], doc_a, task)
        _a_correction_names_its_author(http, tokens["supervisor-A"], task)
        _a_revocation_reaches_every_service(http, tokens["unit-A"])


def _anonymous_is_refused(http: httpx.Client) -> None:
    anonymous = {"Authorization": ""}
    refused = {
        "upload": http.post("/intake/documents/text", json={"text": NOTICE}, headers=anonymous),
        "publish": http.post("/intake/documents/any/publish", headers=anonymous),
        "documents": http.get("/intake/documents", headers=anonymous),
        "messages": http.get("/notify/notices", headers=anonymous),
        "figures": http.get("/reporting/overview", headers=anonymous),
        "tasks": http.get("/tasks/tasks", headers=anonymous),
    }
    for what, response in refused.items():
        assert response.status_code == 401, (what, response.text)
        assert "令牌" in response.json()["detail"], what
    for service in ("intake", "tasks", "notify", "reporting"):
        assert http.get(f"/{service}/healthz", headers=anonymous).status_code == 200
        assert http.get(f"/{service}/metrics", headers=anonymous).status_code in (401, 403)


def _tokens(http: httpx.Client) -> dict[str, str]:
    """A supervisor of each government and a unit of A, issued with the bootstrap token."""
    for gov in (GOV_A, GOV_B):
        put = http.put("/tasks/directory/units/县发改委", params={"government": gov}, json={})
        assert put.status_code == 200, put.text
    wanted = {
        "supervisor-A": {"role": "supervisor", "government_id": GOV_A},
        "supervisor-B": {"role": "supervisor", "government_id": GOV_B},
        "unit-A": {"role": "unit", "government_id": GOV_A, "unit": "县发改委"},
    }
    tokens = {}
    for name, body in wanted.items():
        issued = http.post("/tasks/tokens", json={"name": name, **body})
        assert issued.status_code == 201, issued.text
        tokens[name] = issued.json()["token"]
    for service in ("intake/documents", "notify/notices", "reporting/overview"):
        wait_for(  # the token events reach each service's copy
            lambda s=service: http.get(f"/{s}", headers=bearer(tokens["supervisor-B"])).is_success,
            f"{service} to know the tokens",
        )
    return tokens


def _published_in_a(http: httpx.Client) -> tuple[str, str]:
    """A's notice, published by the bootstrap admin; its first task as the tasks service has
    registered it."""
    doc = http.post("/intake/documents/text", json={"text": NOTICE})
    assert doc.status_code == 201, doc.text
    doc_id = doc.json()["id"]
    assert http.post(f"/intake/documents/{doc_id}/publish").status_code == 200
    first = f"{doc_id}-001"
    wait_for(lambda: http.get(f"/tasks/tasks/{first}").is_success, "the task registered")
    wait_for(
        lambda: http.get("/reporting/overview", params={"government": GOV_A}).json()["task_count"],
        "reporting to count A's tasks",
    )
    return doc_id, first


def _a_unit_reaches_nothing_of_b(http: httpx.Client, unit: str, doc_a: str) -> None:
    headers = bearer(unit)
    draft = http.post("/intake/documents/text", json={"text": NOTICE + "\n"}, headers=headers)
    assert draft.status_code == 403, "a unit does not take notices in"
    assert http.post(f"/intake/documents/{doc_a}/publish", headers=headers).status_code == 403
    assert http.get(f"/intake/documents/{doc_a}", headers=headers).status_code == 403
    other = {"government": GOV_B}
    assert http.get("/notify/notices", params=other, headers=headers).status_code == 403
    assert http.get("/reporting/overview", params=other, headers=headers).status_code == 403
    mine = http.get("/notify/notices", headers=headers).json()
    assert mine and {(n["government_id"], n["unit"]) for n in mine} == {(GOV_A, "县发改委")}
    figures = http.get("/reporting/overview", headers=headers).json()
    assert figures["task_count"] == 2, "its own tasks: （一） and （二）, led by 县发改委"


def _timeline(http: httpx.Client, task: str) -> list[dict[str, Any]]:
    return http.get(f"/tasks/tasks/{task}").json()["timeline"]


def _forged_correction_changes_nothing(
    http: httpx.Client, supervisor_b: str, doc_a: str, task: str
) -> None:
    before = http.get(f"/tasks/tasks/{task}").json()
    anonymous = http.post(
        "/intake/documents/text", json={"text": FORGED}, headers={"Authorization": ""}
    )
    assert anonymous.status_code == 401
    headers = bearer(supervisor_b)
    forged = http.post(
        "/intake/documents/text",
        json={"text": FORGED},
        params={"government": GOV_A},
        headers=headers,
    )
    assert forged.status_code == 403, "B's supervisor cannot take a notice in for A"
    own = http.post("/intake/documents/text", json={"text": FORGED}, headers=headers)
    assert own.status_code == 201, own.text
    assert own.json()["government_id"] == GOV_B and own.json()["supersedes_id"] is None
    published = http.post(f"/intake/documents/{own.json()['id']}/publish", headers=headers)
    assert published.status_code == 200, published.text
    assert http.post(f"/intake/documents/{doc_a}/publish", headers=headers).status_code == 404
    wait_for(
        lambda: http.get("/reporting/overview", params={"government": GOV_B}).json()["task_count"],
        "B's own notice registered (so A's would have been corrected by now)",
    )
    after = http.get(f"/tasks/tasks/{task}").json()
    assert (after["text"], after["revision"]) == (before["text"], before["revision"])
    assert http.get(f"/intake/documents/{doc_a}").json()["status"] == "published"


def _a_correction_names_its_author(http: httpx.Client, supervisor_a: str, task: str) -> None:
    headers = bearer(supervisor_a)
    corrected = http.post("/intake/documents/text", json={"text": CORRECTED}, headers=headers)
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["supersedes_id"], "the same 文号 in the same government corrects"
    doc_id = corrected.json()["id"]
    assert http.post(f"/intake/documents/{doc_id}/publish", headers=headers).status_code == 200
    assert http.get(f"/intake/documents/{doc_id}").json()["published_by"] == "supervisor-A"
    redefined = wait_for(
        lambda: [e for e in _timeline(http, task) if e["action"] == "task.redefined"],
        "the correction in the task's timeline",
    )
    assert redefined[-1]["actor"] == "supervisor-A"
    defined = [e for e in _timeline(http, task) if e["action"] == "task.defined"]
    assert defined[0]["actor"] == "admin", "the first publish, by the bootstrap token"


def _a_revocation_reaches_every_service(http: httpx.Client, unit: str) -> None:
    headers = bearer(unit)
    urls = ("/notify/notices", "/reporting/overview", "/tasks/tasks")
    for url in urls:  # accepted, and so cached, everywhere
        assert http.get(url, headers=headers).status_code == 200, url
    (token,) = [t for t in http.get("/tasks/tokens").json() if t["name"] == "unit-A"]
    assert http.delete(f"/tasks/tokens/{token['id']}").status_code == 200
    assert http.get("/tasks/tasks", headers=headers).status_code == 401, "at once where revoked"
    for url in (*urls, "/intake/documents"):
        wait_for(
            lambda u=url: http.get(u, headers=headers).status_code == 401,
            f"{url} to refuse the revoked token",
            limit_s=35.0,
        )


def test_duban_run_without_a_token_makes_one_for_its_user(tmp_path: Path) -> None:
    """scripts/run.sh keeps working with every door locked: the token is in the data dir."""
    data_dir = tmp_path / "var"
    unset = {"DUBAN_ADMIN_TOKEN": "", "DUBAN_TASKS_ADMIN_TOKEN": ""}
    with duban_run(data_dir, **unset) as http:
        token = (data_dir / "admin-token").read_text().strip()
        assert (data_dir / "admin-token").stat().st_mode & 0o077 == 0, "its owner's only"
        assert http.get("/intake/documents", headers=bearer(token)).status_code == 200
        assert http.get("/intake/documents", headers={"Authorization": ""}).status_code == 401
