"""`duban run --demo`: an invented county (青禾县) loaded through the services' own HTTP APIs
once the server answers, as a clerk and the units would: its directory and leaders, contacts
on the WeCom user ids the provider simulator knows, its notice taken in and published, then
progress reports (some tasks done, some ahead, some behind), completions and urges, so that
the dashboard, the ledger, the circular and the simulator's messages show something within a
minute. Nothing is written behind a service's back, so every view comes from real events.

Idempotent: the notice is the same bytes within a month (intake answers the same document),
and ``<data dir>/demo-loaded`` marks a finished load, which a second start leaves alone.
The notice's year and reporting rounds follow today's date (``_rounds``)."""

from __future__ import annotations

import calendar
import logging
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

log = logging.getLogger("duban.demo")
GOV = {"government": "default"}
NOTICE = Path(__file__).with_name("demo_notice.txt")
MARK = "demo-loaded"

UNITS = (
    "县发改委", "县财政局", "县统计局", "县住建局", "县自然资源局", "县政务服务中心",
    "县市场监管局", "县农业农村局", "县交通运输局", "县人社局", "县教体局", "县卫健委",
    "县生态环境分局", "县文旅局",
)  # fmt: skip
LEADERS = {"王明": "副县长（常务）", "李华": "副县长", "陈刚": "副县长", "赵丽": "副县长"}
USERIDS = ("zhangsan", "lisi", "wangwu", "zhaoliu")  # simulators/config.py DEFAULT_MEMBERS
# task number → (lead's percent, responsible units' percent, words); None: no report yet
REPORTS: dict[str, tuple[int, int | None, str]] = {
    "（一）": (85, 80, "前三季度地区生产总值同比增长6.2%，一般公共预算收入增长5.4%。"),
    "（二）": (100, 100, "60个重点项目全部开工，完成投资126亿元；标准化厂房二期已投用。"),
    "（三）": (90, 90, "“一网通办”率达到96%，已完成年度目标。"),
    "（四）": (70, None, "粮食播种面积45.3万亩；高标准农田完成2.1万亩，进度滞后。"),
    "（六）": (80, 75, "城镇新增就业2350人，失业率5.1%。"),
    "（七）": (100, 100, "第三小学改扩建已完工，9月1日投入使用，新增学位900个。"),
    "（九）": (30, 20, "已开工老旧小区9个，资金到位不足。"),
    "（十一）": (40, None, "建成城市书屋2座，其余4座选址未定。"),
}
DONE = ("（二）", "（七）")  # completed and accepted (销号)
URGED = ("（四）", "（五）", "（八）", "（九）")


def beijing_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _rounds(today: date) -> tuple[int, str]:
    """The notice's year and reporting dates: last month's end (if this year), this month's
    and next month's (if this year). A report made today counts for this month's round (the
    coming one), so the rounds chart and the round filter have something to show at once;
    rounds before the tasks were registered owe nothing."""
    year, month = today.year, today.month
    months = [m for m in (month - 1, month, month + 1) if 1 <= m <= 12]
    days = [f"{m}月{calendar.monthrange(year, m)[1]}日" for m in months]
    return year, "、".join(days[:-1]) + "和" + days[-1]


def notice_text(today: date) -> str:
    year, rounds = _rounds(today)
    return NOTICE.read_text(encoding="utf-8").format(year=year, rounds=rounds)


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json() if response.content else None


def _directory(http: httpx.Client) -> None:
    for name, title in LEADERS.items():
        _ok(http.put(f"/tasks/directory/leaders/{name}", params=GOV, json={"title": title}))
    for name in UNITS:
        _ok(http.put(f"/tasks/directory/units/{name}", params=GOV, json={}))
    for n, name in enumerate(UNITS):
        contact = {
            "owner_kind": "unit", "owner": name, "post": "联络员", "name": f"{name[1:3]}联络员",
            "wecom_userid": USERIDS[n % len(USERIDS)], "mobile": f"1380000{n:04d}",
        }  # fmt: skip
        _ok(http.post("/notify/contacts", params=GOV, json=contact))
    for name in LEADERS:
        contact = {"owner_kind": "leader", "owner": name, "post": "本人", "name": name,
                   "wecom_userid": "duchashi", "mobile": "13800009999"}  # fmt: skip
        _ok(http.post("/notify/contacts", params=GOV, json=contact))


def _published(http: httpx.Client, text: str) -> str:
    doc = _ok(http.post("/intake/documents/text", params=GOV, json={"text": text}))
    if doc["status"] == "draft":
        _ok(http.post(f"/intake/documents/{doc['id']}/publish"))
    return doc["id"]


def _tasks(http: httpx.Client, document_id: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = _ok(http.get("/tasks/tasks", params={**GOV, "document_id": document_id}))
        if len(found) >= count:
            return found
        time.sleep(0.5)
    raise RuntimeError("the published tasks did not reach the tasks service in time")


def _progress(http: httpx.Client, task: dict[str, Any]) -> None:
    number = task["number"]
    if number not in REPORTS:
        return
    lead, others, words = REPORTS[number]
    detail = _ok(http.get(f"/tasks/tasks/{task['id']}"))
    for unit in detail["assignments"]:
        if unit["role"] == "cooperating" or (unit["role"] != "lead" and others is None):
            continue
        percent = lead if unit["role"] == "lead" else others
        body = {
            "unit": unit["unit"],
            "percent": percent,
            "done": words,
            "next_steps": "按时间节点继续推进。",
            "problems": "" if percent >= 60 else "进度滞后。",
        }
        _ok(http.post(f"/tasks/tasks/{task['id']}/progress", json=body))
    if number in DONE:
        lead_unit = next(a["unit"] for a in detail["assignments"] if a["role"] == "lead")
        _ok(http.post(f"/tasks/tasks/{task['id']}/completion-request",
                      json={"unit": lead_unit, "summary": words}))  # fmt: skip
        _ok(http.post(f"/tasks/tasks/{task['id']}/completion-decision",
                      json={"approve": True, "comment": "经核实，同意销号。"}))  # fmt: skip


def load(base_url: str, admin_token: str, data_dir: Path, today: date) -> bool:
    """Load the demo county; False when it was loaded before."""
    if (data_dir / MARK).exists():
        return False
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        _directory(http)
        text = notice_text(today)
        document_id = _published(http, text)
        tasks = _tasks(http, document_id, text.count("责任领导："))
        for task in tasks:
            _progress(http, task)
        for task in tasks:
            if task["number"] in URGED:
                message = "该项任务进度滞后，请抓紧推进并于3个工作日内报送进展。"
                _ok(http.post(f"/tasks/tasks/{task['id']}/urge", json={"message": message}))
    (data_dir / MARK).write_text(f"{today.isoformat()} {document_id}\n")
    return True


def load_when_up(base_url: str, admin_token: str, data_dir: Path, today: date) -> threading.Thread:
    """In the background, once the server answers: the demo county (errors are logged)."""

    def run() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base_url}/tasks/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        try:
            if load(base_url, admin_token, data_dir, today):
                log.warning("演示数据已载入（青禾县）/ demo county loaded: %s", base_url)
        except Exception:
            log.exception("演示数据载入失败 / loading the demo county failed")

    thread = threading.Thread(target=run, name="demo-loader", daemon=True)
    thread.start()
    return thread
