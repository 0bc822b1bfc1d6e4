"""Table layout: 序号 | 重点工作 | 牵头单位 | 责任单位 | 完成时限, one row per task.

A .docx or PDF table reaches the parser as lines whose cells are separated by tabs or
vertical bars. Columns are recognised by their header words, not by position, because
every office orders them differently; a row with a single cell is a section heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.intake.parsing.labels import LABELS, LabelValue, split_inline
from services.intake.parsing.leaders import heading_leaders
from services.intake.parsing.units import split_people

_CELL_SPLIT = re.compile(r"\t|\s*[|｜]\s*")
_TASK_HEADERS = (
    "重点工作",
    "工作任务",
    "主要任务",
    "重点任务",
    "具体任务",
    "工作内容",
    "任务内容",
    "目标任务",
    "任务",
)
_NUMBER_HEADERS = ("序号", "编号")


_LEVELS = (
    re.compile(r"^[一二三四五六七八九十百]+[、.．]"),
    re.compile(r"^[（(][一二三四五六七八九十百]+[）)]"),
    re.compile(r"^\d+[、.．](?!\d)"),
)


def _heading_level(cell: str) -> int:
    """0 for 一、, 1 for （一）, 2 for 1.: a heading row replaces its level and those below."""
    return next((i for i, pattern in enumerate(_LEVELS) if pattern.match(cell)), 0)


@dataclass
class TableTask:
    """One task row: its number, heading path, text and label values by field."""

    number: str
    path: list[str]
    text: str
    labels: list[LabelValue] = field(default_factory=list)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in _CELL_SPLIT.split(line.strip().strip("|｜"))]


MARKERS = "★☆▲△●○◆◇■□※*#"


def header_name(cell: str) -> str:
    """A header cell as a bare word: letter spacing and a note in brackets removed."""
    return re.sub(r"[（(][^）)]*[）)]", "", re.sub(r"\s+", "", cell))


def column_roles(header: list[str]) -> dict[int, str] | None:
    """Map column index → role ("number", "text" or a label field); None if not a header."""
    roles: dict[int, str] = {}
    for index, cell in enumerate(header):
        name = header_name(cell)
        if name in LABELS:
            roles[index] = LABELS[name]
        elif name in _NUMBER_HEADERS:
            roles[index] = "number"
        elif any(word in name for word in _TASK_HEADERS) and "text" not in roles.values():
            roles[index] = "text"
    has_units = any(role.endswith("units") for role in roles.values())
    return roles if has_units and "text" in roles.values() else None


def find_table(lines: list[str]) -> tuple[int, dict[int, str]] | None:
    """Index of the header row and its column roles, if the text holds a task table."""
    for index, line in enumerate(lines):
        if "\t" not in line and "|" not in line and "｜" not in line:
            continue
        roles = column_roles(_cells(line))
        if roles:
            return index, roles
    return None


def parse_table(lines: list[str], start: int, roles: dict[int, str]) -> list[TableTask]:
    """Read the rows after the header into tasks; single-cell rows set the heading path."""
    return table_tasks([_cells(line) for line in lines[start + 1 :]], roles)


def table_tasks(rows: list[list[str]], roles: dict[int, str]) -> list[TableTask]:
    """Tasks from rows of cells; a row with one filled cell is a section heading.

    A section row may name the leaders of the rows under it ("（分管领导：张某、赵某）"):
    they apply until the next section row of the same or a higher level.
    """
    tasks: list[TableTask] = []
    path: list[str] = []
    leaders: list[list[str]] = []
    for cells in rows:
        filled = [cell for cell in cells if cell]
        if not filled:
            continue
        if len(filled) == 1 and _is_heading(filled[0]):
            level = min(_heading_level(filled[0]), len(path))
            path = [*path[:level], filled[0]]
            leaders = [*leaders[:level], section_leaders(filled[0])]
            continue
        task = _row_task(cells, roles, path, len(tasks) + 1)
        if task is not None:
            inherited = next((names for names in reversed(leaders) if names), [])
            if inherited and not any(label.field == "leaders" for label in task.labels):
                task.labels.append(LabelValue("leaders", "分管领导", "、".join(inherited)))
            tasks.append(task)
    return tasks


def section_leaders(cell: str) -> list[str]:
    """Leaders a section row names, in words ("副县长王某负责") or as a label block."""
    named = heading_leaders(cell)
    if named:
        return named
    _, labels = split_inline(cell)
    return [
        name for label in labels if label.field == "leaders" for name in split_people(label.value)
    ]


def _is_heading(cell: str) -> bool:
    """A lone cell is a heading when numbered 一、/（一） or short and unpunctuated."""
    return (
        bool(re.match(r"^[（(]?[一二三四五六七八九十]+[、）)]", cell))
        or ("。" not in cell and len(cell) <= 30)
        or bool(section_leaders(cell))
    )


def _row_task(
    cells: list[str], roles: dict[int, str], path: list[str], ordinal: int
) -> TableTask | None:
    values = {
        role: cells[index].lstrip(MARKERS).strip()
        for index, role in roles.items()
        if index < len(cells)
    }
    text = values.get("text", "")
    if not text:
        return None
    number = values.get("number") or str(ordinal)
    labels = [
        LabelValue(role, role, value)
        for role, value in values.items()
        if role not in ("number", "text") and value
    ]
    return TableTask(number=number.rstrip("、.．"), path=list(path), text=text, labels=labels)
