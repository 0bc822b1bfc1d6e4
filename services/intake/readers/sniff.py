"""Which reader a file needs, decided from its bytes: extensions lie, magic numbers do not.

A clerk renames a .doc to .docx, an OA system posts everything as "file.bin"; the first
bytes (and for ZIP and OLE2 containers, the names inside) say what the file really is. The
extension is used only to name an OLE2 file that carries no clearer sign (.wps vs .doc).
"""

from __future__ import annotations

from typing import Literal

from services.intake.readers.errors import ReadError
from services.intake.readers.safezip import open_zip

Format = Literal["txt", "docx", "pdf", "ofd"]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")
_ARCHIVE_MAGIC = (b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BZh")


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def sniff(data: bytes, filename: str = "") -> Format:
    """The format to read ``data`` as; ReadError for formats with no reader."""
    head = data[:1024]
    if data.startswith(OLE2_MAGIC):
        raise _ole2_error(data, filename)
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_format(data)
    if b"%PDF-" in head:  # the spec allows junk before the header
        return "pdf"
    if data.startswith(_IMAGE_MAGIC) or head[4:12] in (b"ftypheic", b"ftypmif1"):
        raise ReadError("image")
    if data.startswith(_ARCHIVE_MAGIC):
        raise ReadError("unsupported")
    if data.lstrip()[:5].lower() == b"{\\rtf":
        raise ReadError("unsupported", "这是 RTF 文件。请在 Word 或 WPS 中“另存为” .docx 后上传。")
    return "txt"


def _ole2_error(data: bytes, filename: str) -> ReadError:
    """OLE2 (compound file) is the container of .doc/.wps/.xls and of encrypted Office files.

    Directory entries store stream names in UTF-16LE, so a byte search finds them without
    a CFB parser: an encrypted .docx/.xlsx keeps its real content in "EncryptedPackage".
    """
    if _utf16("EncryptedPackage") in data:
        return ReadError("encrypted")
    if filename.lower().endswith((".wps", ".wpt")):
        return ReadError("wps")
    if _utf16("Workbook") in data or _utf16("PowerPoint Document") in data:
        return ReadError(
            "unsupported", "这是旧版 Excel 或 PowerPoint 文件。请上传通知的 Word、PDF 或 OFD 文件。"
        )
    return ReadError("legacy_doc")


def _zip_format(data: bytes) -> Format:
    """.docx and .ofd are both ZIPs; the member names tell them apart."""
    with open_zip(data) as archive:
        names = {name.lstrip("/") for name in archive.namelist()}
    if "word/document.xml" in names or any(name.startswith("word/") for name in names):
        return "docx"  # some generators name the main part differently; rels point to it
    if "OFD.xml" in names:
        return "ofd"
    if "xl/workbook.xml" in names:
        raise ReadError(
            "unsupported", "这是 Excel 表格（.xlsx）。请上传通知正文的 Word、PDF 或 OFD 文件。"
        )
    raise ReadError("unsupported")
