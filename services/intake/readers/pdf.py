"""PDF with a text layer (pdfplumber; PyMuPDF is AGPL and would bind a network service).

Lines are rebuilt from word positions so that the width of a gap survives: a run of two
spaces between names ("朱 蕾  苏敬彪") separates two leaders, one space does not. Running
headers and footers that repeat on most pages are dropped; page marks ("— 3 —") differ
from page to page, so they stay and the parser removes them.
"""

from __future__ import annotations

import io
import itertools
import logging
from collections import Counter
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from services.intake.readers.errors import ReadError

MAX_PAGES = 2000
REPEAT_SHARE = 0.6
MIN_PAGES_FOR_REPEATS = 3
_Y_TOLERANCE = 3.0
_X_TOLERANCE = 1.5

logging.getLogger("pdfminer").setLevel(logging.ERROR)  # it warns on every odd font


def read_pdf(data: bytes) -> tuple[str, int]:
    """Bytes of a PDF → (text with pages joined by "\\n", page count)."""
    pages = _page_lines(data)
    if not any(lines for lines in pages):
        raise ReadError("scanned_pdf")
    pages = _drop_running_lines(pages)
    return "\n".join("\n".join(lines) for lines in pages), len(pages)


def _page_lines(data: bytes) -> list[list[str]]:
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise ReadError("too_large", limit=f"{MAX_PAGES} 页")
            return [_lines(page) for page in pdf.pages]
    except ReadError:
        raise
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise ReadError("encrypted") from exc
    except Exception as exc:  # pdfminer raises many unrelated types on a damaged file
        if "password" in type(exc).__name__.lower() or "password" in str(exc).lower():
            raise ReadError("encrypted") from exc
        raise ReadError("corrupt") from exc


def _lines(page: Any) -> list[str]:
    """The page's text lines, top to bottom, with gaps turned into spaces by their width."""
    words = page.extract_words(
        x_tolerance=_X_TOLERANCE,
        y_tolerance=_Y_TOLERANCE,
        keep_blank_chars=True,  # printed spaces are kept as printed, whatever their width
        extra_attrs=["size"],
    )
    rows: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if rows and abs(rows[-1][0]["top"] - word["top"]) <= _Y_TOLERANCE:
            rows[-1].append(word)
        else:
            rows.append([word])
    return [_join_row(sorted(row, key=lambda w: w["x0"])).strip() for row in rows]


def _join_row(words: list[dict[str, Any]]) -> str:
    """Words of one line; a gap without space glyphs counts one space per half em, at least one."""
    out = words[0]["text"]
    for before, word in itertools.pairwise(words):
        gap = word["x0"] - before["x1"]
        half_em = max(float(word.get("size") or 10.0), 1.0) / 2
        out += " " * max(1, round(gap / half_em)) + word["text"]
    return out


def _drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Remove a first or last line that is the same on at least 60% of the pages."""
    if len(pages) < MIN_PAGES_FOR_REPEATS:
        return pages
    firsts = Counter(lines[0] for lines in pages if lines)
    lasts = Counter(lines[-1] for lines in pages if lines)
    need = REPEAT_SHARE * len(pages)
    heads = {line for line, count in firsts.items() if count >= need}
    feet = {line for line, count in lasts.items() if count >= need}
    out = []
    for lines in pages:
        lines = lines[1:] if lines and lines[0] in heads else lines
        lines = lines[:-1] if lines and lines[-1] in feet else lines
        out.append(lines)
    return out
