"""The layouts a task list comes in, tried in turn on one part of a document.

A row table (cells on one line, tab or bar separated), a table that lost its grid (one cell
per line) and numbered items with their fields (label lines, inline blocks, headings that
name leaders). The first layout that yields tasks wins. When none does, each says what it
found instead, so that a refusal tells a clerk what to fix ("找到 35 行表格单元，但没有表头").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.intake.parsing.grid import find_grid, parse_grid
from services.intake.parsing.model import ParsedTask, ParseWarning
from services.intake.parsing.structure import build_outline
from services.intake.parsing.table import TableTask, find_table, parse_table
from services.intake.parsing.tasks import (
    assemble_task,
    attach_heading_leaders,
    attach_inline_labels,
    build_task,
    select_task_nodes,
)


@dataclass
class Reading:
    """Tasks read from a part of a document, the lines before them and what was tried."""

    tasks: list[ParsedTask] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)


def _row_tasks(
    rows: list[TableTask], year: int | None, warnings: list[ParseWarning]
) -> list[ParsedTask]:
    return [
        assemble_task(row.number, row.path, row.text, row.labels, [], year, warnings)
        for row in rows
    ]


def _cell_lines(lines: list[str]) -> int:
    return sum(1 for line in lines if "\t" in line or "|" in line or "｜" in line)


def read_tasks(raw: list[str], year: int | None, warnings: list[ParseWarning]) -> Reading:
    """Tasks of ``raw`` (lines as extracted, blank ones kept) in the first layout that has
    any; otherwise an empty reading whose findings say what each layout saw."""
    lines = [line.strip() for line in raw if line.strip()]
    reading = Reading()
    table = find_table(lines)
    if table:
        tasks = _row_tasks(parse_table(lines, *table), year, warnings)
        if tasks:
            return Reading(tasks, lines[: table[0]])
        reading.findings.append("找到表格表头，但表头下没有任务行")
    elif _cell_lines(lines):
        reading.findings.append(
            f"找到 {_cell_lines(lines)} 行表格单元，但没有表头（序号、重点工作、责任单位等）"
        )
    grid = find_grid(raw)
    if grid:
        tasks = _row_tasks(parse_grid(raw, grid), year, warnings)
        if tasks:
            preamble = [line.strip() for line in raw[: grid.preamble_end] if line.strip()]
            return Reading(tasks, preamble)
        reading.findings.append(f"找到 {grid.columns} 列的表头（每格一行），但其后没有任务行")
    outline = build_outline(lines)
    attach_heading_leaders(outline.nodes)
    attach_inline_labels(outline.nodes)
    nodes = select_task_nodes(outline.nodes)
    if nodes:
        return Reading([build_task(node, year, warnings) for node in nodes], outline.preamble)
    if outline.nodes:
        reading.findings.append(
            f"找到 {len(outline.nodes)} 个编号条目，但都没有“牵头单位：”“责任单位：”等栏目"
        )
    else:
        reading.findings.append("没有找到编号条目（一、（一）1.）")
    return reading
