"""OFD (GB/T 33190, the national e-document format): a ZIP of XML, read with the stdlib.

No maintained Python OFD library exists, and the text is plain XML: OFD.xml names the
document root, Document.xml lists the pages, and each page's Content.xml holds TextCode
elements with coordinates (relative to their TextObject's Boundary). Lines are rebuilt by
sorting the text pieces by Y, then X, per page; wrapped lines are rejoined from their
estimated extent, as for PDF.
"""

from __future__ import annotations

import itertools
import posixpath
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass

from services.intake.readers.errors import ReadError
from services.intake.readers.reflow import Line, column_gap, reflow
from services.intake.readers.safezip import open_zip, read_member

_NO_TEXT = (
    "这份 OFD 文件没有文字层，可能是扫描件或图片，系统无法识别文字。"
    "请向发文单位索取 Word 版或文字版 OFD/PDF；扫描件请先做 OCR（文字识别）。"
)
_LINE_TOLERANCE = 1.0  # mm: pieces whose baselines differ less than this share a line


@dataclass(frozen=True)
class _Piece:
    y: float
    x: float
    text: str
    size: float

    @property
    def right(self) -> float:
        """Estimated right edge: full-width characters one em, ASCII half an em."""
        return self.x + sum(0.5 if ch.isascii() else 1.0 for ch in self.text) * self.size


def read_ofd(data: bytes) -> tuple[str, int]:
    """Bytes of an .ofd → (text, page count)."""
    archive = open_zip(data)
    with archive:
        root = _root(archive, "OFD.xml").findtext(".//DocRoot", "")
        document = _resolve(archive, "", root)
        pages = _page_paths(archive, document)
        lines = [line for page in pages for line in _page_lines(_root(archive, page))]
    if not any(line.text.strip() for line in lines):
        raise ReadError("scanned_pdf", _NO_TEXT)
    return "\n".join(reflow(lines)), len(pages)


def _root(archive: zipfile.ZipFile, name: str) -> ET.Element:
    raw = read_member(archive, name, limit=50 * 1024 * 1024)
    if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw:
        raise ReadError("corrupt")  # OFD never needs a DTD; entities are an attack vector
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise ReadError("corrupt") from exc
    for element in root.iter():  # producers differ in prefixes and namespaces; names do not
        element.tag = element.tag.rsplit("}", 1)[-1]
    return root


def _resolve(archive: zipfile.ZipFile, base: str, location: str) -> str:
    """An archive member name for a location written relative to ``base`` or absolute."""
    location = location.strip().replace("\\", "/")
    if not location:
        raise ReadError("corrupt")
    name = location.lstrip("/") if location.startswith("/") else posixpath.join(base, location)
    name = posixpath.normpath(name)
    if name not in archive.namelist():
        raise ReadError("corrupt")
    return name


def _page_paths(archive: zipfile.ZipFile, document: str) -> list[str]:
    base = posixpath.dirname(document)
    pages = _root(archive, document).findall(".//Pages/Page")
    return [_resolve(archive, base, page.get("BaseLoc", "")) for page in pages]


def _page_lines(page: ET.Element) -> list[Line]:
    pieces = sorted(_pieces(page), key=lambda piece: (piece.y, piece.x))
    rows: list[list[_Piece]] = []
    for piece in pieces:
        if rows and abs(rows[-1][0].y - piece.y) <= _LINE_TOLERANCE:
            rows[-1].append(piece)
        else:
            rows.append([piece])
    return [_line(sorted(row, key=lambda p: p.x)) for row in rows]


def _line(row: list[_Piece]) -> Line:
    columns = any(column_gap(b.x - a.right, b.size) for a, b in itertools.pairwise(row))
    text = "".join(piece.text for piece in row)
    return Line(text, row[0].x, max(p.right for p in row), row[0].size, columns)


def _pieces(page: ET.Element) -> list[_Piece]:
    out = []
    for obj in page.iter("TextObject"):
        left, top = _origin(obj.get("Boundary", ""))
        size = _number(obj.get("Size")) or 3.5
        for code in obj.findall("TextCode"):
            x, y = _number(code.get("X")), _number(code.get("Y"))
            if code.text:
                out.append(_Piece(y=top + y, x=left + x, text=code.text, size=size))
    return out


def _origin(boundary: str) -> tuple[float, float]:
    parts = boundary.split()
    return (_number(parts[0]), _number(parts[1])) if len(parts) >= 2 else (0.0, 0.0)


def _number(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError as exc:
        raise ReadError("corrupt") from exc
