"""The circular (通报) of a reporting round, in the usual official layout: issuer and title,
文号 left blank for the office to fill, the headline figures, the ranking table with its rule,
the units named for overdue tasks or missing reports (通报批评), the units that did well
(通报表扬), the requirements, and the date."""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from services.reporting import rules
from services.reporting.documents.fonts import BODY, HEADING, TITLE, add_text, set_style_font
from services.reporting.views.ranking import Ranking
from services.reporting.views.snapshot import Snapshot

PRAISED = 10  # at most this many units are commended


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def para(
    doc,
    text: str,
    font: str = BODY,
    size: float = 16,
    bold: bool = False,
    align=None,
    indent: bool = True,
):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent and align is None:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.line_spacing = Pt(28)
    add_text(p, text, font, size, bold)
    return p


def headline(snap: Snapshot) -> dict[str, int | float]:
    tasks = snap.tasks
    done = [t for t in tasks if t.view.status == rules.DONE]
    counts = {b: sum(t.bucket == b for t in tasks) for b in rules.Bucket}
    owed = sum(1 for t in tasks for s in t.shares if s.counts and t.round_period)
    return {
        "tasks": len(tasks),
        "done": len(done),
        "ahead": counts[rules.Bucket.AHEAD],
        "on_schedule": counts[rules.Bucket.ON_SCHEDULE],
        "behind": counts[rules.Bucket.BEHIND],
        "completion_rate": round(100 * len(done) / len(tasks), 1) if tasks else 0.0,
        "on_time": sum(t.on_time for t in done),
        "overdue": sum(t.overdue for t in tasks),
        "owed": owed,
        "missing": sum(len(t.missing_units) for t in tasks),
    }


def criticised(snap: Snapshot) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Units named: for overdue tasks (their lead and responsible units) and for missing
    reports, with the tasks' numbers (and working days overdue)."""
    late: dict[str, list[str]] = {}
    for t in snap.tasks:
        if t.overdue:
            for s in t.shares:
                if s.counts:
                    late.setdefault(s.unit, []).append(
                        f"第{t.view.number}项（逾期{t.workdays_overdue}个工作日）"
                    )
    lacking: dict[str, list[str]] = {}
    for t in snap.tasks:
        for unit in t.missing_units:
            lacking.setdefault(unit, []).append(f"第{t.view.number}项")
    return late, lacking


def praised(ranking: Ranking, named: set[str]) -> list[str]:
    good = [u for u in ranking.units if u.unit not in named and u.tasks and u.score >= 80]
    return [u.unit for u in good[:PRAISED]]


def circular(snap: Snapshot, ranking: Ranking, issuer: str, period: str, doc_title: str) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    set_style_font(doc.styles["Normal"], BODY, 16)
    label = rules.period_label(period)
    center = WD_ALIGN_PARAGRAPH.CENTER
    para(doc, f"{issuer}督查室", TITLE, 22, align=center)
    para(doc, "督查通报", TITLE, 26, bold=True, align=center)
    para(doc, f"〔{snap.as_of.year}〕第　　号", BODY, 16, align=center)
    para(doc, f"关于{label}重点工作推进情况的通报", TITLE, 22, align=center)
    para(doc, "各有关单位：", indent=False)
    h = headline(snap)
    para(doc, f"根据《{doc_title}》要求，现将{label}重点工作推进情况通报如下。")
    para(doc, "一、总体情况", HEADING)
    para(
        doc,
        f"截至{cn_date(snap.as_of)}，纳入督办的重点工作任务共{h['tasks']}项。其中已完成{h['done']}项，"
        f"超序时进度{h['ahead']}项，达序时进度{h['on_schedule']}项，欠序时进度{h['behind']}项；"
        f"完成率{h['completion_rate']}%，按时完成{h['on_time']}项；时间节点逾期{h['overdue']}项。"
        f"本轮应报送进展{h['owed']}项次，未按时报送{h['missing']}项次。",
    )
    para(doc, "二、单位排名", HEADING)
    para(doc, f"计分规则：{ranking.rule_text}")
    headers = ["名次", "单位", "任务数", "已完成", "按时完成", "逾期", "漏报", "得分"]
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        add_text(cell.paragraphs[0], text, HEADING, 12)
    for u in ranking.units:
        values = [u.rank, u.unit, u.tasks, u.done, u.done_on_time, u.overdue, u.missing, u.score]
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            add_text(cell.paragraphs[0], str(value), BODY, 12)
    late, lacking = criticised(snap)
    para(doc, "三、通报批评", HEADING)
    if not late and not lacking:
        para(doc, "本轮无逾期任务和漏报情况。")
    for unit, items in sorted(late.items()):
        para(doc, f"{unit}：{'、'.join(items)}时间节点已逾期，未按期完成。")
    for unit, items in sorted(lacking.items()):
        para(doc, f"{unit}：{'、'.join(items)}未按时报送{label}进展情况。")
    para(doc, "四、通报表扬", HEADING)
    good = praised(ranking, set(late) | set(lacking))
    para(
        doc,
        f"{'、'.join(good)}等单位任务推进有力、报送及时，予以通报表扬。" if good else "本轮暂无。",
    )
    para(doc, "五、工作要求", HEADING)
    para(
        doc,
        "各责任单位要对照时间节点，倒排工期、挂图作战；被通报批评的单位要认真分析原因，"
        "于5个工作日内向区政府督查室书面报送整改措施，确保各项任务按期完成。",
    )
    para(doc, "")
    para(doc, f"{issuer}督查室", align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(doc, cn_date(snap.as_of), align=WD_ALIGN_PARAGRAPH.RIGHT)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
