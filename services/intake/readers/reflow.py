"""Rejoin hard line breaks from the geometry of a laid-out page (PDF, OFD).

The parser can only guess wraps from character counts, and a sentence that ends exactly at
the right margin fools it. The reader still knows where each line starts and ends: a line
that reaches the right margin continues on the next line, unless the next line is indented
(a new paragraph, as 公文 indent two characters), starts a numbered item or a label such as
"责任单位：", or the line is a table row. Page marks between the halves of a paragraph are
moved before it, so the parser still sees (and removes) them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_FULL_SLACK = 1.5  # em short of the right margin still counts as a full line
_INDENT = 1.0  # em right of the left margin starts a new paragraph
_COLUMN_GAP = 2.0  # em between two words marks a table row, never a wrapped sentence
PAGE_MARK = re.compile(
    r"^\s*(?:\S\s*)?[—–\-－─]+\s*\d{1,4}\s*[—–\-－─]+(?:\s*\S)?\s*$"
    r"|^\s*第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?\s*$|^\s*\d+\s*/\s*\d+\s*$|^\s*\d{1,4}\s*$"
)
_STARTS_BLOCK = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十百\d]+[）)]|\d+[.．、](?!\d)"
    r"|[①-⑳]|附件[:：\d]|(?!各|有关|相关|其他|其它)[\u4e00-\u9fff]{2,4}(?:单位|领导|部门)\s*[:：]"
    r"|(?:责任人|联系人|完成时限|完成时间|时间节点|时限要求|办结时限)\s*[:：])"
)


@dataclass(frozen=True)
class Line:
    """One printed line: its text, left and right edges and font size (same unit)."""

    text: str
    x0: float
    x1: float
    size: float
    columns: bool = False  # has a gap wide enough to be a table column


def reflow(lines: list[Line]) -> list[str]:
    """Paragraph texts, in order, with page marks kept as lines of their own."""
    body = [line for line in lines if not PAGE_MARK.match(line.text)]
    if not body:
        return [line.text for line in lines]
    left, right = _margins([line for line in body if not line.columns] or body)
    out: list[str] = []
    pending: Line | None = None
    for line in lines:
        if PAGE_MARK.match(line.text):
            if pending and not _full(pending, right):  # cannot go on over the page break
                out.append(pending.text)
                pending = None
            out.append(line.text)
            continue
        if pending and _continues(pending, line, left, right):
            pending = Line(_join(pending.text, line.text), pending.x0, line.x1, line.size)
            continue
        if pending:
            out.append(pending.text)
        pending = line
    return [*out, pending.text] if pending else out


def _margins(body: list[Line]) -> tuple[float, float]:
    """The right edge that full lines share, and the left edge where wrapped lines start.

    The left edge is taken from full lines only: a notice has so many one-line (indented)
    label paragraphs that the most common start of all lines may be the indent.
    """
    widest = max(line.x1 for line in body)
    rights = Counter(round(line.x1) for line in body if widest - line.x1 < line.size)
    right = float(rights.most_common(1)[0][0]) if rights else widest
    full = [line for line in body if _full(line, right)]
    starts = Counter(round(line.x0) for line in full or body)
    repeated = [x for x, count in starts.items() if count >= 2] or list(starts)
    return float(min(repeated)), right


def _full(line: Line, right: float) -> bool:
    return right - line.x1 <= _FULL_SLACK * line.size


def _continues(line: Line, following: Line, left: float, right: float) -> bool:
    full = _full(line, right)
    indented = following.x0 - left >= _INDENT * following.size
    return (
        full
        and not indented
        and not line.columns
        and not following.columns
        and not _STARTS_BLOCK.match(following.text)
    )


def _join(first: str, second: str) -> str:
    """Chinese and split numbers ("53" + "9年") join with nothing; Latin words get a space."""
    if _latin(first[-1:]) and _latin(second[:1]):
        return f"{first} {second}"
    return first + second


def column_gap(gap: float, size: float) -> bool:
    """True when a horizontal gap is wide enough to separate table columns."""
    return gap >= _COLUMN_GAP * size


def _latin(char: str) -> bool:
    return char.isascii() and char.isalpha()
