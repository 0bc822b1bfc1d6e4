"""催办单 and 督办单: the formal order for one task and one unit: the task, its deadline, the
working days overdue, the unit's latest figure, and what is required by when (three working
days for an urging order, five for a supervision order, from the day it is issued)."""

from __future__ import annotations

import io
from datetime import date, timedelta

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from services.reporting import rules
from services.reporting.documents.circular import cn_date, para
from services.reporting.documents.fonts import BODY, HEADING, TITLE, add_text, set_style_font
from services.reporting.views.snapshot import TaskFacts

KINDS = {"urge": ("催办单", 3), "supervise": ("督办单", 5)}


def add_workdays(start: date, n: int) -> date:
    day = start
    while n > 0:
        day += timedelta(days=1)
        n -= rules.is_workday(day)
    return day


def order(t: TaskFacts, unit: str, kind: str, issuer: str, today: date) -> bytes:
    name, days = KINDS[kind]
    by = add_workdays(today, days)
    doc = Document()
    set_style_font(doc.styles["Normal"], BODY, 16)
    center = WD_ALIGN_PARAGRAPH.CENTER
    para(doc, f"{issuer}督查室", TITLE, 22, align=center)
    para(doc, name, TITLE, 26, bold=True, align=center)
    para(doc, f"督查〔{today.year}〕第　　号", BODY, 16, align=center)
    para(doc, f"{unit}：", indent=False)
    v = t.view
    share = next((s for s in t.shares if s.unit == unit), None)
    figure = f"{share.percent}%" if share and share.percent is not None else "尚未报送"
    deadline = "、".join(f"{m['phrase']}（{m['due']}）" for m in v.milestones) or "见任务分解通知"
    rows = [
        ("任务编号", v.number),
        ("工作任务", v.text),
        ("责任领导", "、".join(v.leaders) or "—"),
        ("时间节点", deadline),
        ("逾期情况", f"已逾期{t.workdays_overdue}个工作日" if t.overdue else "未逾期"),
        ("本单位进度", figure),
        ("序时进度", f"{t.expected}%"),
        ("办理要求", f"请于{cn_date(by)}前（{days}个工作日内）书面报送办理情况及整改措施。"),
    ]
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        add_text(cells[0].paragraphs[0], label, HEADING, 14)
        add_text(cells[1].paragraphs[0], value, BODY, 14)
    para(doc, "")
    para(doc, f"{issuer}督查室", align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(doc, cn_date(today), align=WD_ALIGN_PARAGRAPH.RIGHT)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
