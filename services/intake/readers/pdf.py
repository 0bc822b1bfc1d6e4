"""PDF with a text layer (pdfplumber; PyMuPDF is AGPL and would bind a network service).

Lines are rebuilt from word positions, keeping printed spaces as printed: a run of two
spaces between names ("朱 蕾  苏敬彪") separates two leaders, one space does not. Running
headers and footers that repeat on most pages are dropped; page marks ("— 3 —") differ
from page to page, so they stay and the parser removes them. Hard line breaks are rejoined
here, from the geometry (see :mod:`reflow`), which the parser never sees.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
from collections import Counter
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from services.intake.readers.errors import ReadError
from services.intake.readers.pdf_tables import inside, table_rows
from services.intake.readers.reflow import Line, column_gap, reflow

_CID = re.compile(r"\(cid:\d+\)")  # pdfminer's stand-in for a glyph it cannot map to text
_NO_UNICODE = (
    "这份 PDF 的字体缺少文字编码信息，提取出来是乱码。请向发文单位索取 Word 版，"
    "或用原文件重新“导出为 PDF”（勿用“打印为图片”），扫描件请先做 OCR。"
)
MAX_PAGES = 500  # a notice has tens of pages; beyond this reading would block too long
REPEAT_SHARE = 0.6
MIN_PAGES_FOR_REPEATS = 3
_Y_TOLERANCE = 3.0
_X_TOLERANCE = 1.5
_LETTER_SPACING = 0.25  # em: a smaller gap between Latin letters is spacing, not a space

logging.getLogger("pdfminer").setLevel(logging.ERROR)  # it warns on every odd font


def read_pdf(data: bytes) -> tuple[str, int]:
    """Bytes of a PDF → (text with wrapped lines rejoined, page count)."""
    pages = _page_lines(data)
    if not any(lines for lines in pages):
        raise ReadError("scanned_pdf")
    pages = _drop_running_lines(pages)
    lines = drop_repeated_headers([line for lines in pages for line in lines])
    text = "\n".join(reflow(lines))
    if len(_CID.findall(text)) * 8 > 0.3 * len(text):
        raise ReadError("scanned_pdf", _NO_UNICODE)
    return text, len(pages)


def _page_lines(data: bytes) -> list[list[Line]]:
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise ReadError("too_large", limit=f"{MAX_PAGES} 页")
            return [_lines(page) for page in pdf.pages]
    except ReadError:
        raise
    except Exception as exc:  # pdfminer raises many unrelated types on a damaged file
        raise ReadError("encrypted" if _password_error(exc) else "corrupt") from exc


def _password_error(exc: BaseException) -> bool:
    """pdfplumber wraps pdfminer's password errors; look through the wrapper."""
    seen: list[object] = [exc, exc.__cause__, exc.__context__, *getattr(exc, "args", ())]
    return any(isinstance(item, PDFPasswordIncorrect | PDFEncryptionError) for item in seen)


def _lines(page: Any) -> list[Line]:
    """The page's lines top to bottom: table rows whole, other text by word positions."""
    table_lines, boxes = table_rows(page)
    words = page.extract_words(
        x_tolerance=_X_TOLERANCE,
        y_tolerance=_Y_TOLERANCE,
        keep_blank_chars=True,  # printed spaces are kept as printed, whatever their width
        extra_attrs=["size"],
    )
    rows: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if boxes and inside(word, boxes):
            continue
        if rows and abs(rows[-1][0]["top"] - word["top"]) <= _Y_TOLERANCE:
            rows[-1].append(word)
        else:
            rows.append([word])
    placed = [(row[0]["top"], _join_row(sorted(row, key=lambda w: w["x0"]))) for row in rows]
    placed += table_lines
    return [line for _, line in sorted(placed, key=lambda item: item[0]) if line.text]


def _join_row(words: list[dict[str, Any]]) -> Line:
    """Words of one line; a gap without space glyphs counts one space per half em."""
    out, columns = words[0]["text"], False
    for before, word in itertools.pairwise(words):
        gap = word["x0"] - before["x1"]
        size = max(float(word.get("size") or 10.0), 1.0)
        columns = columns or column_gap(gap, size)
        out += _gap(gap, size, out[-1:], word["text"][:1]) + word["text"]
    size = max(float(words[0].get("size") or 10.0), 1.0)
    x0 = words[0]["x0"] + (len(out) - len(out.lstrip())) * size / 2
    return Line(out.strip(), x0, words[-1]["x1"], size, columns)


def _gap(gap: float, size: float, before: str, after: str) -> str:
    """Spaces for a gap with no space glyph: one per half em, at least one; none for the
    small gaps of letter-spaced (justified) lines, nor beside Chinese, which has no spaces
    between characters."""
    spaces = round(gap / (size / 2))
    if spaces == 0 and (gap < _LETTER_SPACING * size or _cjk(before) or _cjk(after)):
        return ""
    return " " * max(1, spaces)


def _cjk(char: str) -> bool:
    return bool(char) and not char.isascii()


def _drop_running_lines(pages: list[list[Line]]) -> list[list[Line]]:
    """Remove a first or last line that is the same on at least 60% of the pages."""
    if len(pages) < MIN_PAGES_FOR_REPEATS:
        return pages
    firsts = Counter(lines[0].text for lines in pages if lines)
    lasts = Counter(lines[-1].text for lines in pages if lines)
    need = REPEAT_SHARE * len(pages)
    heads = {text for text, count in firsts.items() if count >= need}
    feet = {text for text, count in lasts.items() if count >= need}
    out = []
    for lines in pages:
        lines = lines[1:] if lines and lines[0].text in heads else lines
        lines = lines[:-1] if lines and lines[-1].text in feet else lines
        out.append(lines)
    return out


def drop_repeated_headers(lines: list[Line]) -> list[Line]:
    """A table header repeated at the top of every page is printing, not content."""
    headers: set[str] = set()
    out: list[Line] = []
    previous_is_row = False
    for line in lines:
        is_row = line.columns and "\t" in line.text
        first_row = is_row and not previous_is_row
        previous_is_row = is_row
        if first_row and line.text in headers:
            continue
        if first_row:
            headers.add(line.text)
        out.append(line)
    return out
