"""A clerk's table, as sent: CSV in UTF-8 (with or without BOM) or GB18030 (what Excel on a
Chinese Windows saves), or an .xlsx workbook (its first sheet), as CSV text. The unit
directory and the contacts are both imported this way."""

from __future__ import annotations

import csv
import io


class UnreadableTable(ValueError):
    """The bytes are neither readable CSV nor a sound .xlsx; the message says so in Chinese."""


def table_text(data: bytes) -> str:
    if data[:2] == b"PK":
        return _xlsx_to_csv(data)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableTable("无法识别文件编码，请另存为 UTF-8 编码的 CSV 或 Excel 文件")


def _xlsx_to_csv(data: bytes) -> str:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise UnreadableTable("Excel 文件已损坏或格式不正确，请重新导出") from exc
    out = io.StringIO()
    writer = csv.writer(out)
    for row in sheet.iter_rows(values_only=True):
        writer.writerow(["" if cell is None else _plain(cell) for cell in row])
    return out.getvalue()


def _plain(cell: object) -> str:
    """A number typed into a cell comes back as 13912345678 (int) or 13912345678.0."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)
