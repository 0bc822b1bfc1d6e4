"""Ruled tables in a PDF: one line per row, cells joined by a tab, as for .docx.

A notice printed from a Word table keeps its grid lines; pdfplumber finds the cells from
them. Read as plain words, a row would become a jumble of half cells, one per printed
line; read as a table, the parser's table reader gets the row whole. A cell merged across
a row (a section heading) appears once; a cell merged down several rows (one 责任领导 for
several tasks) is repeated on each, as in the .docx reader.
"""

from __future__ import annotations

from typing import Any

from services.intake.readers.reflow import Line

_WRAP_SLACK = 1.5  # em: a cell line this close to the cell's widest line was wrapped


def table_rows(page: Any) -> tuple[list[tuple[float, Line]], list[tuple[float, ...]]]:
    """(top, line) per table row of the page, and the tables' boxes to keep words out."""
    rows: list[tuple[float, Line]] = []
    boxes = []
    for table in page.find_tables():
        boxes.append(tuple(table.bbox))
        above: dict[int, tuple[str, float]] = {}
        for cells, row in zip(table.extract(), table.rows, strict=False):
            texts = _row_texts(cells, row, above)
            line = "\t".join(texts).rstrip("\t")
            if line.strip():
                x0, top, x1, _ = row.bbox
                rows.append((top, Line(line, x0, x1, 10.0, columns=True)))
    return rows, boxes


def _row_texts(cells: list[str | None], row: Any, above: dict[int, tuple[str, float]]) -> list[str]:
    """Cell texts; a missing cell under a cell that reaches down into this row repeats it."""
    top = row.bbox[1]
    texts = []
    for column, (text, box) in enumerate(zip(cells, row.cells, strict=False)):
        if box is not None:
            value = join_cell_lines((text or "").split("\n"))
            above[column] = (value, box[3])
        elif column in above and above[column][1] > top + 1:
            value = above[column][0]
        else:
            value = ""
        texts.append(value)
    return texts


def inside(word: dict[str, Any], boxes: list[tuple[float, ...]]) -> bool:
    """True when a word's centre lies in one of the boxes."""
    x = (word["x0"] + word["x1"]) / 2
    y = (word["top"] + word["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def join_cell_lines(pieces: list[str]) -> str:
    """Rejoin a cell's printed lines: wrapped lines with nothing, separate short names
    (one unit per line) with "、" so that they stay separate units."""
    pieces = [piece.strip().replace("\t", " ") for piece in pieces if piece.strip()]
    widest = max((_em(piece) for piece in pieces), default=0.0)
    out = ""
    for before, piece in zip(["", *pieces], pieces, strict=False):
        wrapped = _em(before) >= widest - _WRAP_SLACK
        if out and not wrapped and _name_like(before) and _name_like(piece):
            out += "、"
        out += piece
    return out


def _em(text: str) -> float:
    return sum(0.5 if ch.isascii() else 1.0 for ch in text)


def _name_like(piece: str) -> bool:
    return len(piece) <= 25 and not any(mark in piece for mark in "。；;，,、：:")
