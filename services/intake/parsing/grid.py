"""Tables that lost their grid: one cell per line, as a web page or a PDF gives them.

A table copied out of a browser or a PDF arrives with every cell on its own line: cells
separated by blank lines, or each ending in " |", or in a tab. The header cells (序号 /
重点工作 / 责任单位 / 完成时限 …, perhaps letter-spaced "责  任  单  位") give the column
count; rows are rebuilt from it, a serial number opening each row when the table has a
序号 column. A lone cell between rows that reads like a heading is a section row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.intake.parsing.table import (
    MARKERS,
    TableTask,
    column_roles,
    header_name,
    table_tasks,
)

_HEADER_MAX = 24
_NUMBER_CELL = re.compile(rf"^[{re.escape(MARKERS)}\s]*\d{{1,3}}[.、．]?$")
_STRONG_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)])"
)
_DEADLINE_CELL = re.compile(
    r"(?:\d{1,2}|[一二三四五六七八九十]{1,2})月|年底|年内|全年|季度|上半年|下半年|长期|持续|常态"
)


@dataclass
class Grid:
    """Where a one-cell-per-line table starts, how its cells end and its column roles."""

    start: int  # index of the first line after the header
    mode: str  # "bar", "tab", "blank" or "line"
    roles: dict[int, str]
    columns: int
    preamble_end: int  # index of the first header line


def _cell_text(line: str) -> str:
    return line.strip().rstrip("|｜").strip()


def _header_cell(line: str) -> bool:
    text = _cell_text(line)
    if not 0 < len(text) <= _HEADER_MAX:
        return False
    roles = column_roles([text, "序号", "重点工作", "责任单位"])
    return roles is not None and 0 in roles


def find_grid(lines: list[str]) -> Grid | None:
    """The first run of header cells, one per line (blank lines between allowed)."""
    index = 0
    while index < len(lines):
        if not _header_cell(lines[index]) or "\t" in lines[index].strip():
            index += 1
            continue
        run, blanks, cursor = [index], 0, index + 1
        while cursor < len(lines):
            if not lines[cursor].strip():
                blanks += 1
            elif _header_cell(lines[cursor]) and "\t" not in lines[cursor].strip():
                run.append(cursor)
            else:
                break
            cursor += 1
        roles = column_roles([_cell_text(lines[i]) for i in run]) if len(run) >= 3 else None
        if roles and len(roles) == len(run):
            return Grid(cursor, _mode(lines, run, blanks), roles, len(run), run[0])
        index = cursor
    return None


def _mode(lines: list[str], run: list[int], blanks: int) -> str:
    first = lines[run[0]]
    if first.rstrip().endswith(("|", "｜")):
        return "bar"
    if first.rstrip(" ").endswith("\t"):
        return "tab"
    return "blank" if blanks >= len(run) - 1 else "line"


def grid_cells(lines: list[str], mode: str) -> list[str]:
    """The cells after the header, in order; an empty cell is ""."""
    if mode in ("bar", "tab"):
        return _ended_cells(lines, mode)
    if mode == "line":
        return [_cell_text(line) for line in lines if line.strip()]
    cells: list[str] = []
    current: list[str] = []
    blank_run = 0
    for line in lines:
        if line.strip():
            if (blank_run > 1 and cells) or (blank_run > 1 and current):
                cells.extend([""] * (blank_run - 1))
            blank_run = 0
            current.append(_cell_text(line))
            continue
        if current:
            cells.append("".join(current))
            current = []
        blank_run += 1
    if current:
        cells.append("".join(current))
    return cells


def _ended_cells(lines: list[str], mode: str) -> list[str]:
    """Cells that end in "|" or a tab; lines without the ending continue the cell."""
    cells: list[str] = []
    current: list[str] = []
    for line in lines:
        ended = line.rstrip().endswith(("|", "｜")) if mode == "bar" else line.endswith("\t")
        if not line.strip() and not ended:
            continue
        current.append(_cell_text(line))
        if ended:
            cells.append("".join(current))
            current = []
    if current:
        cells.append("".join(current))
    return cells


def grid_rows(cells: list[str], roles: dict[int, str], columns: int) -> list[list[str]]:
    """Rows of ``columns`` cells; section rows have one cell; the table ends where a cell
    fits neither a row nor a section (the signature or date after it)."""
    numbered = 0 in roles and roles[0] == "number"
    rows: list[list[str]] = []
    row: list[str] | None = None
    for cell in cells:
        full = row is not None and len(row) >= columns
        if numbered and _NUMBER_CELL.match(cell) and (row is None or len(row) >= 2):
            row = [cell]
            rows.append(row)
        elif _STRONG_HEADING.match(cell) or (
            (row is None or full) and _section_like(cell) and (not numbered or row is None or full)
        ):
            rows.append([cell])
            row = None
        elif row is not None and not full:
            row.append(cell)
        elif not numbered and (row is None or full):
            row = [cell]
            rows.append(row)
        else:
            break
    return [_aligned(row, roles, columns) if len(row) > 1 else row for row in rows]


def _section_like(cell: str) -> bool:
    return bool(cell) and "。" not in cell and len(cell) <= 40 and not _NUMBER_CELL.match(cell)


def _aligned(row: list[str], roles: dict[int, str], columns: int) -> list[str]:
    """A short row (empty cells lost) keeps a trailing 完成时限 cell in its column."""
    if len(row) >= columns:
        return row[:columns]
    last = columns - 1
    padded = row + [""] * (columns - len(row))
    if roles.get(last) == "deadline" and _DEADLINE_CELL.search(row[-1]) and len(row) > 2:
        padded = [*row[:-1], *[""] * (columns - len(row)), row[-1]]
    return padded


def parse_grid(lines: list[str], grid: Grid) -> list[TableTask]:
    """The tasks of a one-cell-per-line table."""
    cells = grid_cells(lines[grid.start :], grid.mode)
    return table_tasks(grid_rows(cells, grid.roles, grid.columns), grid.roles)


__all__ = ["Grid", "find_grid", "grid_cells", "grid_rows", "header_name", "parse_grid"]
