"""OFD (GB/T 33190, the national e-document format): a ZIP of XML, read with the stdlib.

No maintained Python OFD library exists, and the text is plain XML: OFD.xml names the
document root, Document.xml lists the pages, and each page's Content.xml holds TextCode
elements with coordinates (relative to their TextObject's Boundary). Lines are rebuilt by
sorting the text pieces by Y, then X, per page.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass

from services.intake.readers.errors import ReadError
from services.intake.readers.safezip import open_zip, read_member

NS = {"ofd": "http://www.ofdspec.org/2016"}
_LINE_TOLERANCE = 1.0  # mm: pieces whose baselines differ less than this share a line


@dataclass(frozen=True)
class _Piece:
    y: float
    x: float
    text: str


def read_ofd(data: bytes) -> tuple[str, int]:
    """Bytes of an .ofd → (text, page count)."""
    archive = open_zip(data)
    with archive:
        root = _root(archive, "OFD.xml").findtext(".//ofd:DocRoot", "", NS)
        document = _resolve(archive, "", root)
        pages = _page_paths(archive, document)
        texts = ["\n".join(_page_lines(_root(archive, page))) for page in pages]
    return "\n".join(texts), len(texts)


def _root(archive: zipfile.ZipFile, name: str) -> ET.Element:
    raw = read_member(archive, name, limit=50 * 1024 * 1024)
    if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw:
        raise ReadError("corrupt")  # OFD never needs a DTD; entities are an attack vector
    try:
        return ET.fromstring(raw)
    except ET.ParseError as exc:
        raise ReadError("corrupt") from exc


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
    pages = _root(archive, document).findall(".//ofd:Pages/ofd:Page", NS)
    return [_resolve(archive, base, page.get("BaseLoc", "")) for page in pages]


def _page_lines(page: ET.Element) -> list[str]:
    pieces = sorted(_pieces(page), key=lambda piece: (piece.y, piece.x))
    lines: list[list[_Piece]] = []
    for piece in pieces:
        if lines and abs(lines[-1][0].y - piece.y) <= _LINE_TOLERANCE:
            lines[-1].append(piece)
        else:
            lines.append([piece])
    return ["".join(p.text for p in sorted(line, key=lambda p: p.x)) for line in lines]


def _pieces(page: ET.Element) -> list[_Piece]:
    out = []
    for obj in page.iter(f"{{{NS['ofd']}}}TextObject"):
        left, top = _origin(obj.get("Boundary", ""))
        for code in obj.findall("ofd:TextCode", NS):
            x, y = _number(code.get("X")), _number(code.get("Y"))
            out.append(_Piece(y=top + y, x=left + x, text=code.text or ""))
    return out


def _origin(boundary: str) -> tuple[float, float]:
    parts = boundary.split()
    return (_number(parts[0]), _number(parts[1])) if len(parts) >= 2 else (0.0, 0.0)


def _number(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError as exc:
        raise ReadError("corrupt") from exc
