"""Document readers: the bytes of an uploaded notice → text for the parser.

One function, :func:`read_document`, sniffs the format from the bytes and hands them to one
small reader module (text, docx, pdf, ofd). Bad input of any kind raises :class:`ReadError`
and nothing else, with a ``code`` for programs and a Chinese ``message`` for the clerk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from services.intake.readers.docx import read_docx
from services.intake.readers.errors import ReadError
from services.intake.readers.ofd import read_ofd
from services.intake.readers.pdf import read_pdf
from services.intake.readers.sniff import Format, sniff
from services.intake.readers.text import check_is_text, read_text

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ExtractedText:
    """Text taken from a document, with what the reader knows about where it came from."""

    text: str
    format: Format
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)


def _txt(data: bytes) -> tuple[str, int | None]:
    return read_text(data), None


def _docx(data: bytes) -> tuple[str, int | None]:
    return read_docx(data), None


_READERS: dict[Format, Callable[[bytes], tuple[str, int | None]]] = {
    "txt": _txt,
    "docx": _docx,
    "pdf": read_pdf,
    "ofd": read_ofd,
}


def read_document(
    data: bytes, filename: str = "", *, max_bytes: int = DEFAULT_MAX_BYTES
) -> ExtractedText:
    """Read an uploaded file into text; raises only :class:`ReadError` for bad input."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ReadError("unsupported")
    data = bytes(data)
    if not data.strip():
        raise ReadError("empty")
    if len(data) > max_bytes:
        raise ReadError("too_large", limit=_size(max_bytes))
    fmt = sniff(data, filename)
    text, pages = _READERS[fmt](data)
    text = check_is_text(text.replace("\x00", ""))
    if not text.strip():
        raise ReadError("empty", "文件中没有可读取的文字。请确认上传的是通知正文。")
    return ExtractedText(text=text, format=fmt, pages=pages, warnings=_warnings(fmt, filename))


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit} 字节"


def _warnings(fmt: Format, filename: str) -> list[str]:
    """A note when the name and the content disagree, so a reviewer is not surprised."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    expected = {"txt": {"txt", "text"}, "docx": {"docx", "docm", "dotx"}, "pdf": {"pdf"}}
    expected["ofd"] = {"ofd"}
    if suffix and suffix not in expected[fmt]:
        return [f"文件扩展名为 .{suffix}，但内容是 {fmt.upper()} 格式，已按 {fmt.upper()} 读取。"]
    return []


__all__ = ["DEFAULT_MAX_BYTES", "ExtractedText", "ReadError", "read_document"]
