"""Plain text: decode exactly or refuse, never guess into mojibake.

Chinese offices save .txt as UTF-8 (often with a BOM) or as GBK from old Notepad. UTF-8 is
tried strictly first because GBK would "decode" UTF-8 bytes into nonsense; GB18030 is a
superset of GBK and GB2312, so one strict attempt covers all three.
"""

from __future__ import annotations

import codecs

from services.intake.readers.errors import ReadError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: same first two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ALLOWED_CONTROLS = frozenset("\n\r\t\f\v")
MAX_CONTROL_SHARE = 0.02
_DAMAGED_UTF8 = (
    "文本文件是 UTF-8 编码，但其中有损坏的字节，直接读取会出现乱码。"
    "请重新导出或复制原文保存为 UTF-8 文本后上传，或直接上传 Word、PDF 原件。"
)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with; ReadError when it is not text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data[len(bom) :], encoding), encoding
    if b"\x00" in data:
        raise ReadError("binary")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and exc.end == len(data):  # cut inside the last character
            return data[: exc.start].decode("utf-8"), "utf-8"
        if _damaged_utf8(data):
            raise ReadError("encoding", _DAMAGED_UTF8) from exc
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ReadError("encoding") from exc


def _damaged_utf8(data: bytes) -> bool:
    """UTF-8 with a few bad bytes: GB18030 would "decode" it into mojibake, so refuse.

    GBK text read as UTF-8 fails almost everywhere; UTF-8 with damage fails rarely.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    chinese = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return chinese >= 10 and bad <= max(3, len(text) // 100)


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ReadError("encoding") from exc


def check_is_text(text: str) -> str:
    """Refuse decoded text that is mostly control characters (binary that happened to decode)."""
    sample = text[:100_000]
    if "\x00" in sample:
        raise ReadError("binary")
    controls = sum(1 for ch in sample if ch < " " and ch not in _ALLOWED_CONTROLS)
    if sample and controls / len(sample) > MAX_CONTROL_SHARE:
        raise ReadError("binary")
    return text


def read_text(data: bytes) -> str:
    """Bytes of a .txt file → text with line ends unified to "\\n"."""
    text, _ = decode(data)
    text = check_is_text(text)
    return text.replace("\r\n", "\n").replace("\r", "\n")
