"""A notice beyond its contract's bounds, through the real entry point: `duban run` in a
subprocess, HTTP only. Intake takes the notice in as a draft, refuses to publish it (422,
the task and the field named in Chinese) and publishes nothing of it; a normal notice
published next reaches the tasks service, its tasks and no other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from helpers import REPO, duban_run, wait_for

ADMIN = "bounds-admin-token-0123456789"
NOTICE = (REPO / "examples" / "qingchuan-2026-notice.txt").read_text(encoding="utf-8")
LONG_HEADING = "二、持续改善民生" + "，切实保障和改善群众生活水平" * 28  # 400 characters


def test_a_notice_beyond_its_contract_is_refused_and_a_normal_one_arrives(tmp_path: Path) -> None:
    with duban_run(tmp_path / "var", DUBAN_TASKS_ADMIN_TOKEN=ADMIN) as http:
        _refuse_then_publish(http)


def _refuse_then_publish(http: httpx.Client) -> None:
    too_long = NOTICE.replace("二、持续改善民生", LONG_HEADING)
    draft = http.post("/intake/documents/text", json={"text": too_long})
    assert draft.status_code == 201, draft.text
    refused = http.post(f"/intake/documents/{draft.json()['id']}/publish")
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "out_of_bounds"
    message = refused.json()["detail"]
    assert message.startswith("第3项任务的“所属章节”第1项不能超过 300 个字符"), message
    assert http.get(f"/intake/documents/{draft.json()['id']}").json()["status"] == "draft"

    normal = http.post("/intake/documents/text", json={"text": NOTICE})
    assert normal.status_code == 201, normal.text
    published = http.post(f"/intake/documents/{normal.json()['id']}/publish")
    assert published.status_code == 200, published.text

    admin = {"Authorization": f"Bearer {ADMIN}"}

    def arrived() -> list[dict[str, Any]]:
        listed = http.get("/tasks/tasks", headers=admin, params={"government": "default"})
        return listed.json() if len(listed.json()) == 4 else []

    tasks = wait_for(arrived, "the normal notice's tasks in the tasks service")
    assert {t["document_id"] for t in tasks} == {normal.json()["id"]}
    assert {t["number"] for t in tasks} == {"（一）", "（二）", "（三）", "（四）"}
    assert {t["section"] for t in tasks} == {"一、全力以赴稳增长", "二、持续改善民生"}
