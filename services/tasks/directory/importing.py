"""Reading a directory file: CSV (UTF-8 or GB18030, Excel's "CSV" on Windows) or Excel, with
the columns 名称, 类型, 别名, 成员. A file with one bad line is refused whole, the line named:
a name longer than the contracts allow (``limits.UNIT_NAME``) too, since every entry is
announced to intake."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from services.tasks.directory.models import UnitKind
from services.tasks.directory.resolve import squeeze
from services.tasks.errors import Invalid
from shared.contracts import limits
from shared.spreadsheets import UnreadableTable, table_text

KIND_WORDS = {
    "单位": UnitKind.UNIT,
    "unit": UnitKind.UNIT,
    "分组": UnitKind.GROUP,
    "组": UnitKind.GROUP,
    "group": UnitKind.GROUP,
}


@dataclass(frozen=True)
class DirectoryRow:
    name: str
    kind: UnitKind
    aliases: list[str]
    members: list[str]


def read_directory_file(data: bytes) -> list[DirectoryRow]:
    return parse_directory_csv(_table(data))


def parse_directory_csv(text: str) -> list[DirectoryRow]:
    """Rows of 名称,类型,别名,成员 (aliases and members separated by 、 or ;)."""
    rows = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    for line, row in enumerate(reader, start=2):
        name = squeeze(row.get("名称") or row.get("name") or "")
        if not name:
            raise Invalid(f"第 {line} 行缺少单位名称")
        kind_word = (row.get("类型") or row.get("kind") or "单位").strip()
        if kind_word not in KIND_WORDS:
            raise Invalid(f"第 {line} 行的类型“{kind_word}”无法识别，应为“单位”或“分组”")
        aliases = _split(row.get("别名") or row.get("aliases"))
        members = _split(row.get("成员") or row.get("members"))
        too_long = [n for n in (name, *aliases, *members) if len(n) > limits.UNIT_NAME]
        if too_long:
            name_start = too_long[0][:20]
            raise Invalid(f"第 {line} 行的名称“{name_start}…”超过 {limits.UNIT_NAME} 个字符")
        rows.append(DirectoryRow(name, KIND_WORDS[kind_word], aliases, members))
    return rows


def _split(cell: str | None) -> list[str]:
    if not cell:
        return []
    parts = cell.replace(";", "、").replace("；", "、").split("、")
    return [squeeze(p) for p in parts if p.strip()]


def _table(data: bytes) -> str:
    try:
        return table_text(data)
    except UnreadableTable as exc:
        raise Invalid(str(exc)) from None
