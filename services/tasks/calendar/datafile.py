"""The administrator's holiday data file: a small CSV, or the notice text pasted as is.

Text in, overrides out: the caller reads the upload or the file, so this stays pure and the
same code serves the API, the CLI and the tests. See data/README.md for the format.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date

from .model import CalendarDataError, Kind, Override
from .notice import normalise, parse_notice

_KINDS: dict[str, Kind] = {
    "休": "holiday",
    "放假": "holiday",
    "holiday": "holiday",
    "班": "workday",
    "上班": "workday",
    "workday": "workday",
}
_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日)")
_HEADER = {"date", "日期"}
_NOTICE_ITEM = re.compile(r"^[一二三四五六七八九十]+、[^:\n]{1,40}:", re.MULTILINE)


class OverridesFileError(CalendarDataError):
    """A data file line that cannot be read; the message gives the line number."""


def looks_like_notice(text: str) -> bool:
    """The notice has numbered festival items ("一、元旦：") and says 放假; a CSV has neither."""
    text = normalise(text)
    return "放假" in text and _NOTICE_ITEM.search(text) is not None


def load_overrides_file(text: str) -> list[Override]:
    """Overrides from either format, detected from the content, sorted by date."""
    if looks_like_notice(text):
        return parse_notice(text)
    return parse_csv(text)


def _parse_date(cell: str, line: int) -> date:
    match = _DATE.fullmatch(cell.strip())
    if match is None:
        raise OverridesFileError(f"第{line}行：日期“{cell}”无法识别，应写作 2027-01-01")
    year, month, day = (int(g) for g in match.groups() if g is not None)
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise OverridesFileError(f"第{line}行：“{cell}”不是有效日期") from exc


def _parse_row(row: list[str], line: int) -> Override:
    if len(row) < 2 or len(row) > 3:
        raise OverridesFileError(f"第{line}行：应为“日期,类型,说明”三列，实际{len(row)}列")
    kind = _KINDS.get(row[1].strip().lower())
    if kind is None:
        raise OverridesFileError(f"第{line}行：类型“{row[1]}”无效，应为 休/班 或 holiday/workday")
    note = row[2].strip() if len(row) == 3 else ""
    return Override(_parse_date(row[0], line), kind, note)


def parse_csv(text: str) -> list[Override]:
    """``date,kind,note`` rows; optional header, ``#`` comments, blank lines and BOM allowed.

    A date listed twice with different kinds is an error, not a last-one-wins surprise.
    """
    rows: dict[date, Override] = {}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for line, row in enumerate(reader, start=1):
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if not rows and row[0].strip().lower() in _HEADER:
            continue
        override = _parse_row(row, line)
        seen = rows.setdefault(override.date, override)
        if seen.kind != override.kind:
            raise OverridesFileError(f"第{line}行：{override.date} 前面已设为另一类型")
    if not rows:
        raise OverridesFileError("文件中没有任何日期")
    return sorted(rows.values(), key=lambda o: o.date)


def dump_csv(overrides: Iterable[Override]) -> str:
    """The CSV form of ``overrides`` (kinds as 休/班), so the table can be exported and edited."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "kind", "note"])
    for o in sorted(overrides, key=lambda o: o.date):
        writer.writerow([o.date.isoformat(), "休" if o.kind == "holiday" else "班", o.note])
    return out.getvalue()
