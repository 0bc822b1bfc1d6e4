"""The demo page: what was sent, per channel and recipient, newest first, and the to-dos.

Plain server-rendered HTML with inline CSS and no script, so it works on a government
intranet with no internet and in any browser the bureau has.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from simulators.common import sim
from simulators.state import Record, Todo

router = APIRouter()

CHANNELS = {
    "wecom_app": "企业微信应用消息",
    "wecom_robot": "企业微信群机器人",
    "aliyun": "阿里云短信",
    "tencent": "腾讯云短信",
}
SYSTEMS = {"weaver": "泛微 e-cology", "seeyon": "致远 OA", "webhook": "通用 Webhook"}
STATUS = {"delivered": "已送达", "duplicate": "重复（未再次下发）", "dropped": "超频丢弃"}
TODO_STATE = {"open": "待办", "done": "已办", "deleted": "已删除"}

STYLE = """
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC",sans-serif;
margin:2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:2px solid #c00;padding-bottom:.2em}
h3{font-size:1em;margin:.8em 0 .3em}table{border-collapse:collapse;width:100%;margin-bottom:1em}
td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.muted{color:#888}pre{white-space:pre-wrap;margin:0;font-family:inherit}
"""


def _time(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S")


def _messages(records: list[Record]) -> str:
    parts: list[str] = []
    for target, title in CHANNELS.items():
        mine = [r for r in records if r.target == target]
        parts.append(f"<h2>{title}（{len(mine)} 条）</h2>")
        if not mine:
            parts.append('<p class="muted">暂无消息</p>')
            continue
        by_recipient: dict[str, list[Record]] = defaultdict(list)
        for r in mine:
            by_recipient[r.recipient].append(r)
        for recipient, items in sorted(by_recipient.items(), key=lambda kv: -kv[1][-1].at):
            rows = "".join(
                f"<tr><td>{_time(r.at)}</td><td>{STATUS.get(r.status, r.status)}</td>"
                f"<td><pre>{escape(r.content)}</pre></td>"
                f"<td>{escape(r.provider_id or '')}</td></tr>"
                for r in sorted(items, key=lambda r: -r.at)
            )
            parts.append(
                f"<h3>接收人：{escape(recipient)}</h3><table><tr><th>时间</th><th>状态</th>"
                f"<th>内容</th><th>消息编号</th></tr>{rows}</table>"
            )
    return "".join(parts)


def _todos(todos: list[Todo]) -> str:
    if not todos:
        return '<h2>OA 待办</h2><p class="muted">暂无待办</p>'
    rows = "".join(
        f"<tr><td>{SYSTEMS.get(t.system, t.system)}</td><td>{escape(t.receiver)}</td>"
        f"<td>{escape(t.title)}</td><td>{TODO_STATE.get(t.state, t.state)}</td>"
        f"<td>{_time(t.updated_at)}</td></tr>"
        for t in sorted(todos, key=lambda t: -t.updated_at)
    )
    return (
        "<h2>OA 待办</h2><table><tr><th>系统</th><th>接收人</th><th>标题</th><th>状态</th>"
        f"<th>更新时间</th></tr>{rows}</table>"
    )


@router.get("/", response_class=HTMLResponse)
@router.get("/messages", response_class=HTMLResponse)
def messages_page(request: Request) -> HTMLResponse:
    _, state = sim(request)
    records = state.received()
    todos = state.todo_list()
    body = _messages(records) + _todos(todos)
    html = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>督办 · 消息模拟器</title><style>{STYLE}</style></head><body>"
        "<h1>督办 · 消息模拟器：已发送的消息</h1>"
        '<p class="muted">本页列出模拟的企业微信、短信和 OA 待办收到的内容（最新在前），'
        "仅用于开发和演示，不会发给任何真实的人。</p>"
        f"{body}</body></html>"
    )
    return HTMLResponse(html)
