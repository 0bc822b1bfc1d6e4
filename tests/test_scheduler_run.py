"""Issue 11, acceptance 0, through the real entry point: `duban run` in a subprocess with
nothing configured but shorter job intervals (DUBAN_JOB_INTERVALS, as an operator may), HTTP
only. The unit's contact is registered; a notice whose deadline is today is published; the
deadline scan fires by itself, notify sends the reminder over WeChat Work and it arrives at
the provider simulator `duban run` serves, for the contact's WeCom account, saying the task
is due today, once. The outbox purge runs by itself and an operator sees it in /metrics. No
internal function is called."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from helpers import duban_run, wait_for

OPERATOR = "operator-token-for-the-scheduler-test-0123"


def notice_due_today() -> str:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return (
        "石门县人民政府办公室\n"
        f"关于印发《石门县{today.year}年政府工作报告重点工作任务分解方案》的通知\n"
        f"石政办〔{today.year}〕9号\n\n"
        "各乡镇人民政府，县政府各部门：\n"
        "现将重点工作任务分解如下，请认真抓好落实。\n\n"
        "一、稳增长\n"
        f"（一）{today.month}月{today.day}日前完成县城供水管网改造。\n"
        "责任领导：王明\n"
        "牵头单位：县住建局\n\n"
        "石门县人民政府办公室\n"
        f"{today.year}年{today.month}月{today.day}日\n"
    )


def purged(metrics: str, service: str) -> float:
    found = re.search(rf'duban_outbox_purged_total{{service="{service}"}} ([0-9.e+]+)', metrics)
    return float(found.group(1)) if found else 0.0


def test_the_scan_and_the_purge_fire_by_themselves(tmp_path: Path) -> None:
    intervals = {f"{s}.purge_outbox": 1 for s in ("intake", "tasks")}
    intervals["tasks.scan_deadlines"] = 2
    env = {
        "DUBAN_JOB_INTERVALS": json.dumps(intervals),
        "DUBAN_OUTBOX_RETENTION_DAYS": "0.00001",  # about a second
        "DUBAN_OPERATOR_TOKEN": OPERATOR,
    }
    with duban_run(tmp_path / "var", **env) as http:
        contact = {
            "owner": "县住建局",
            "post": "联络员",
            "name": "张三",
            "wecom_userid": "zhangsan",
        }
        registered = http.post("/notify/contacts", params={"government": "default"}, json=contact)
        assert registered.status_code == 201, registered.text
        doc = http.post("/intake/documents/text", json={"text": notice_due_today()})
        assert doc.status_code == 201, doc.text
        assert doc.json()["tasks"], doc.json()["warnings"]
        assert http.post(f"/intake/documents/{doc.json()['id']}/publish").status_code == 200

        def reminder() -> list[dict]:
            notices = http.get("/notify/notices", params={"kind": "due_today"}).json()
            return [n for n in notices if n["unit"] == "县住建局"]

        found = wait_for(reminder, "the scheduled scan's reminder at notify", limit_s=60)
        assert "今天" in found[0]["body"] and "到期" in found[0]["body"]

        def at_the_simulator() -> list[dict]:
            query = {"target": "wecom_app", "status": "delivered", "recipient": "zhangsan"}
            received = http.get("/simulator/_control/received", params=query).json()
            return [r for r in received if "今天" in json.dumps(r, ensure_ascii=False)]

        arrived = wait_for(at_the_simulator, "the reminder at the WeCom simulator", limit_s=60)
        assert len(arrived) == 1, arrived
        page = http.get("/simulator/")
        assert page.status_code == 200 and "zhangsan" in page.text
        operator = {"Authorization": f"Bearer {OPERATOR}"}
        wait_for(
            lambda: purged(http.get("/intake/metrics", headers=operator).text, "intake") > 0,
            "the outbox purge to run by itself",
        )
