"""The ledger (台账) as an Excel workbook: a sheet of every task, one row each (section,
number, text, leaders, units, deadlines, each unit's latest progress, the task's figure and
序时进度, status and signal), then a sheet per unit with its own shares. Frozen header,
filters, widths, and the signal cell coloured red, yellow or green."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from services.reporting import rules
from services.reporting.documents.fonts import SHEET, printable
from services.reporting.views.snapshot import Snapshot, TaskFacts

FILLS = {
    "red": PatternFill("solid", fgColor="FF9999"),
    "yellow": PatternFill("solid", fgColor="FFE699"),
    "green": PatternFill("solid", fgColor="A9D08E"),
    "done": PatternFill("solid", fgColor="BDD7EE"),
}
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
COLUMNS = [
    ("部分", 18),
    ("序号", 6),
    ("工作任务", 50),
    ("责任领导", 10),
    ("牵头单位", 16),
    ("责任单位", 20),
    ("配合单位", 16),
    ("时间节点", 18),
    ("最新进展（各单位）", 48),
    ("任务进度%", 9),
    ("序时进度%", 9),
    ("进度类别", 11),
    ("状态", 9),
    ("红黄绿灯", 9),
    ("逾期工作日", 9),
    ("本轮未报单位", 18),
]
SIGNAL_COLUMN = 14


def deadlines(t: TaskFacts) -> str:
    moved = {m["phrase"]: m["due"] for m in t.view.milestones}
    if t.deadlines:
        parts = []
        for d in t.deadlines:
            due = moved.get(d["phrase"]) or d.get("date")
            parts.append(f"{d['phrase']}（{due}）" if due else d["phrase"])
        return "\n".join(parts)
    return "\n".join(f"{m['phrase']}（{m['due']}）".lstrip("（") for m in t.view.milestones)


def progress(t: TaskFacts) -> str:
    lines = []
    for s in t.shares:
        if s.percent is None:
            continue
        when = f"{s.last_report_at:%m-%d}" if s.last_report_at else ""
        words = f"：{s.words}" if s.words else ""
        lines.append(f"{s.unit}（{when}）{s.percent}%{words}")
    return "\n".join(lines) or "尚未报送"


def row(t: TaskFacts) -> list:
    v = t.view
    return [
        v.section,
        v.number,
        v.text,
        "、".join(v.leaders),
        "、".join(v.lead_units),
        "、".join(v.responsible_units),
        "、".join(v.cooperating_units),
        deadlines(t),
        progress(t),
        v.percent,
        t.expected,
        t.bucket.value,
        rules.STATUS_LABELS.get(v.status, v.status),
        rules.SIGNAL_LABELS.get(t.colour, t.colour),
        t.workdays_overdue or "",
        "、".join(t.missing_units),
    ]


def _sheet(book: Workbook, title: str, heading: str, tasks: list[TaskFacts], first: bool) -> None:
    sheet = book.active if first else book.create_sheet()
    sheet.title = title
    sheet.cell(1, 1, printable(heading)).font = Font(name=SHEET, bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    for col, (name, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(2, col, name)
        cell.font = Font(name=SHEET, bold=True)
        cell.fill, cell.border = HEADER_FILL, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(col)].width = width
    for r, t in enumerate(tasks, start=3):
        for col, value in enumerate(row(t), start=1):
            cell = sheet.cell(r, col, printable(value) if isinstance(value, str) else value)
            cell.font, cell.border = Font(name=SHEET), BOX
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        sheet.cell(r, SIGNAL_COLUMN).fill = FILLS.get(t.colour, FILLS["green"])
    sheet.freeze_panes = "D3"
    last = get_column_letter(len(COLUMNS))
    sheet.auto_filter.ref = f"A2:{last}{max(2, len(tasks) + 2)}"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def sheet_name(unit: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique."""
    base = re.sub(r"[\[\]:*?/\\]", "", printable(unit))[:28] or "单位"
    name, n = base, 2
    while name in taken:
        name, n = f"{base[:26]}({n})", n + 1
    taken.add(name)
    return name


def ledger(snap: Snapshot, title: str) -> bytes:
    book = Workbook()
    heading = f"{title}台账（截至{snap.as_of:%Y年%m月%d日}）"
    _sheet(book, "台账", heading, snap.tasks, first=True)
    taken = {"台账"}
    units = sorted({s.unit for t in snap.tasks for s in t.shares})
    if snap.scope.units is not None:
        units = [u for u in units if u in snap.scope.units]
    for unit in units:
        _sheet(
            book, sheet_name(unit, taken), f"{unit}承担任务（{heading}）", snap.mine(unit), False
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
