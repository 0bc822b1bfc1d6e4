"""The fonts the documents declare. Official documents use 仿宋_GB2312 for the body and
方正小标宋简体 for the title; where those are missing (a server, LibreOffice on Debian)
fontconfig substitutes a CJK font such as Noto Serif CJK SC (``fonts-noto-cjk``), so the
characters never come out as boxes. The East Asian font is declared on every run."""

from __future__ import annotations

import re

from docx.oxml.ns import qn
from docx.shared import Pt

BODY = "仿宋_GB2312"
TITLE = "方正小标宋简体"
HEADING = "黑体"
LATIN = "Times New Roman"
SHEET = "宋体"


# What XML 1.0 (so .docx and .xlsx) cannot hold: control characters but tab and newlines,
# and the two non-characters. A stored text may carry them (pasted from elsewhere).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` as a document can hold it: what XML cannot hold is left out."""
    return NOT_XML.sub("", text)


def add_text(paragraph, text: str, east_asia: str = BODY, size: float | None = None, bold=False):
    """A run of ``text`` in ``paragraph``, printable, in the declared fonts."""
    return set_run_font(paragraph.add_run(printable(text)), east_asia, size, bold)


def set_run_font(run, east_asia: str = BODY, size: float | None = None, bold: bool = False):
    run.font.name = LATIN
    run.font.bold = bold
    if size is not None:
        run.font.size = Pt(size)
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(fonts)
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), east_asia if attr == "w:eastAsia" else LATIN)
    return run


def set_style_font(style, east_asia: str = BODY, size: float = 16) -> None:
    style.font.name = LATIN
    style.font.size = Pt(size)
    r_pr = style.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
