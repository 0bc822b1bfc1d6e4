"""Normalisation of extracted text before any structure is looked for.

Notices arrive as pasted text, Word paragraphs or PDF text layers. The parser must see the
same lines whatever the source, yet the truth files keep task text verbatim, so this module
only removes artefacts (page marks, invisible characters, hard wraps) and never rewrites
punctuation inside sentences.
"""

from __future__ import annotations

import re
from collections import Counter

_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)
_PAGE_MARK = re.compile(
    r"^\s*(?:\S\s*)?[—–\-－─]+\s*\d{1,4}\s*[—–\-－─]+(?:\s*\S)?\s*$"
    r"|^\s*第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?\s*$"
    r"|^\s*\d+\s*/\s*\d+\s*$"
)
_SENTENCE_END = "。！？；：!?;:”’）)】"
_NUMBERED = re.compile(
    r"^\s*(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十百\d]+[）)]|\d+[.．、]"
    r"|[①-⑳]|——)"
)
_CJK = r"\u4e00-\u9fff"
_SPACE_NEAR_ASCII = re.compile(
    rf"(?<=[{_CJK}，、。：；])[ \t]+(?=[0-9A-Za-z])|(?<=[0-9A-Za-z%])[ \t]+(?=[{_CJK}])"
)


def normalise(text: str) -> str:
    """Return text with unified line ends, no invisible characters and no page marks.

    PDF-extracted text (detected by its uniform line width) also has its hard line breaks
    rejoined and the spurious spaces around numbers removed, because otherwise a sentence
    such as "增长 6%左右" is cut in two and no rule can see it whole.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    text = text.replace("\u00a0", " ")
    lines = [line for line in text.split("\n") if not is_page_mark(line)]
    if looks_hard_wrapped(lines):
        lines = rejoin_wrapped(lines)
        lines = [_SPACE_NEAR_ASCII.sub("", line) for line in lines]
    return "\n".join(lines)


def is_page_mark(line: str) -> bool:
    """True for page-number lines such as "— 1 —", "地— 1 —地" or "第 3 页 共 9 页"."""
    return bool(_PAGE_MARK.match(line))


def _width(line: str) -> int:
    return len(line.strip())


def _modal_width(lines: list[str]) -> int:
    widths = Counter(_width(line) for line in lines if _width(line) >= 12)
    return widths.most_common(1)[0][0] if widths else 0


def looks_hard_wrapped(lines: list[str]) -> bool:
    """True when most long lines share one width, the signature of a PDF text layer."""
    long_lines = [line for line in lines if _width(line) >= 12]
    if len(long_lines) < 20:
        return False
    mode = _modal_width(long_lines)
    near = sum(1 for line in long_lines if abs(_width(line) - mode) <= 2)
    return near / len(long_lines) >= 0.4


def rejoin_wrapped(lines: list[str]) -> list[str]:
    """Join a full-width line that does not end a sentence with the next text line."""
    mode = _modal_width(lines)
    out: list[str] = []
    pending = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if pending and _NUMBERED.match(line) and pending.endswith(tuple(_SENTENCE_END)):
            out.append(pending)
            pending = ""
        pending += line
        if _width(line) < mode - 3 or (line.endswith(tuple(_SENTENCE_END)) and _width(line) < mode):
            out.append(pending)
            pending = ""
    if pending:
        out.append(pending)
    return out


FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．％", "0123456789.%")


def ascii_digits(text: str) -> str:
    """Full-width digits to ASCII, one character for one, so positions stay valid.

    Detection runs on this copy while phrases are cut from the original, which keeps them
    verbatim.
    """
    return text.translate(FULLWIDTH_DIGITS)


def strip_spaces(value: str) -> str:
    """Remove every kind of whitespace, as unit names never contain any."""
    return re.sub(r"\s+", "", value.replace("\u3000", ""))
