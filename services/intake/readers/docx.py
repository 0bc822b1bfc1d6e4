"""Word .docx: paragraphs and tables in the order they appear in the body.

python-docx lists paragraphs and tables separately, which would move every table to the
end; the body XML is walked instead. A table row becomes one line with cells joined by a
tab, the layout the parser's table reader expects. Horizontally merged cells keep the
column positions (text once, then empty cells); a vertically merged cell repeats the value
above, because in a ledger a merged 责任领导 cell applies to every row it spans.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator

from docx import Document
from docx.oxml.ns import qn
from lxml.etree import _Element

from services.intake.readers.errors import ReadError
from services.intake.readers.safezip import open_zip

_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIP = frozenset({qn("w:del"), qn("w:moveFrom"), qn("w:txbxContent"), _MC_FALLBACK})
_SENTENCE_END = tuple("。；;：:，,、！？!?）)”")
_SHORT = 25


def read_docx(data: bytes) -> str:
    """Bytes of a .docx → text, one line per paragraph or table row."""
    open_zip(data).close()  # bomb and corruption checks before python-docx inflates anything
    try:
        body = Document(io.BytesIO(data)).element.body
        return "\n".join(_block_lines(body))
    except ReadError:
        raise
    except Exception as exc:  # python-docx/lxml raise many types on a damaged package
        raise ReadError("corrupt") from exc


def _block_lines(container: _Element) -> Iterator[str]:
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield paragraph_text(child)
        elif child.tag == qn("w:tbl"):
            yield from _table_lines(child)
        elif child.tag == qn("w:sdt"):  # content control wrapping paragraphs or tables
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _block_lines(content)


def paragraph_text(p: _Element) -> str:
    """A paragraph's visible text, tracked insertions included.

    python-docx's ``Paragraph.text`` reads only direct runs and hyperlinks, so text inside
    a tracked insertion (w:ins), a field or a content control would silently disappear.
    Deleted text, text boxes (read separately, or not at all) and the fallback copy of
    drawings are skipped.
    """
    parts = []
    for run in p.iter(qn("w:r")):
        if any(a.tag in _SKIP for a in _ancestors_until(run, p)):
            continue
        parts.append(getattr(run, "text", "") or "")
    return "".join(parts)


def _ancestors_until(element: _Element, stop: _Element) -> Iterator[_Element]:
    for ancestor in element.iterancestors():
        if ancestor is stop:
            return
        yield ancestor


def _table_lines(table: _Element) -> Iterator[str]:
    if _single_column(table):  # a layout frame around the text, not a ledger
        for row in table.iterchildren(qn("w:tr")):
            for tc in row.iterchildren(qn("w:tc")):
                yield from _block_lines(tc)
        return
    above: dict[int, str] = {}
    for row in table.iterchildren(qn("w:tr")):
        cells = _row_cells(row, above)
        above = dict(enumerate(cells))
        line = "\t".join(cells).rstrip("\t")
        if line.strip():
            yield line


def _single_column(table: _Element) -> bool:
    grid = table.find(qn("w:tblGrid"))
    return grid is not None and len(grid.findall(qn("w:gridCol"))) == 1


def _row_cells(row: _Element, above: dict[int, str]) -> list[str]:
    """Cell texts by grid column; a merged cell's text appears once, in its first column."""
    cells = [""] * _grid_before(row)
    for tc in row.iterchildren(qn("w:tc")):
        column = len(cells)
        text = above.get(column, "") if _continues_vmerge(tc) else _cell_text(tc)
        cells.append(text)
        cells.extend([""] * (_int_attr(tc, "w:gridSpan", 1) - 1))
    return cells


def _grid_before(row: _Element) -> int:
    props = row.find(qn("w:trPr"))
    return _int_attr(props, "w:gridBefore", 0, direct=True) if props is not None else 0


def _int_attr(element: _Element, tag: str, default: int, direct: bool = False) -> int:
    props = element if direct else element.find(qn("w:tcPr"))
    node = props.find(qn(tag)) if props is not None else None
    value = node.get(qn("w:val")) if node is not None else None
    return int(value) if value and value.isdigit() else default


def _continues_vmerge(tc: _Element) -> bool:
    props = tc.find(qn("w:tcPr"))
    merge = props.find(qn("w:vMerge")) if props is not None else None
    return merge is not None and merge.get(qn("w:val"), "continue") == "continue"


def _cell_text(tc: _Element) -> str:
    """A cell's paragraphs and line breaks joined so the row stays on one line."""
    pieces: list[str] = []
    for p in tc.iter(qn("w:p")):
        text = paragraph_text(p).replace("\t", " ")
        pieces.extend(piece.strip() for piece in text.split("\n") if piece.strip())
    return _join_pieces(pieces)


def _join_pieces(pieces: list[str]) -> str:
    """Join with nothing, except two short unpunctuated pieces (names on separate lines),
    which get "、" so that 区发改委 / 区财政局 do not fuse into one unit."""
    out = pieces[0] if pieces else ""
    for before, piece in itertools.pairwise(pieces):
        out += ("、" if _is_name_like(before) and _is_name_like(piece) else "") + piece
    return out


def _is_name_like(piece: str) -> bool:
    return (
        len(piece) <= _SHORT
        and not piece.endswith(_SENTENCE_END)
        and not re.search(r"[。；;]", piece)
    )
