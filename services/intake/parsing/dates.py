"""Deadline phrases (时间节点) to ISO dates, given the document's work year.

A clerk reads "4月底前" as the last day of April of the work year, "上半年" as 30 June,
"“十一”前" as 30 September. Durations ("40个工作日", "三年行动") and recurring or vague
wording ("常态化", "尽快") are not deadlines and are never matched.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from services.intake.parsing.numerals import chinese_to_int
from services.intake.parsing.text import ascii_digits

_CN = "一二三四五六七八九十"
_MONTH = rf"(?:\d{{1,2}}|[{_CN}]{{1,2}})"
_YEAR = r"(?:(?P<y>\d{4})年|(?P<next>明年|次年))?"
_TAIL = r"(?:前|之前|以前)?"

# Spring Festival (正月初一) dates, for "春节前": data, not computation.
SPRING_FESTIVAL = {
    2019: (2, 5),
    2020: (1, 25),
    2021: (2, 12),
    2022: (2, 1),
    2023: (1, 22),
    2024: (2, 10),
    2025: (1, 29),
    2026: (2, 17),
    2027: (2, 6),
    2028: (1, 26),
    2029: (2, 13),
    2030: (2, 3),
    2031: (1, 23),
    2032: (2, 11),
    2033: (1, 31),
    2034: (2, 19),
    2035: (2, 8),
}

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("day", re.compile(rf"{_YEAR}(?P<m>{_MONTH})月(?P<d>\d{{1,2}})日{_TAIL}(?!起|开始|至|到|—)")),
    ("xun", re.compile(rf"{_YEAR}(?P<m>{_MONTH})月(?:份)?(?P<x>上旬|中旬|下旬){_TAIL}")),
    ("month_end", re.compile(rf"{_YEAR}(?P<m>{_MONTH})月(?:份)?(?:底|末){_TAIL}")),
    ("before_month", re.compile(rf"{_YEAR}(?P<m>{_MONTH})月(?:份)?(?:前|之前|以前)")),
    ("half", re.compile(rf"{_YEAR}(?P<h>上半年|下半年|年中)(?:前)?")),
    ("quarter", re.compile(rf"{_YEAR}(?P<q>前三季度|(?:第)?[一二三四1-4]季度(?:末)?|首季)(?:前)?")),
    (
        "year_end",
        re.compile(
            r"(?P<y>(?:19|20)\d{2})年(?:底|末)(?:前|之前)?|(?<![年去])年(?:底|末)(?:前|之前)?"
        ),
    ),
    (
        "year_in",
        re.compile(
            r"(?<![\d上下今去明一二三四五六七八九十两几])(?:年内|全年|年度)(?!产值|计划|目标|任务|考核|评|报告|以来)"
        ),
    ),
    ("national_day", re.compile(r"[“\"‘]?(?:十一|国庆)[”\"’]?(?:节)?(?:前|之前)")),
    ("new_year", re.compile(r"元旦(?:前|之前)")),
    ("spring", re.compile(r"春节(?:前|之前)")),
    ("autumn_term", re.compile(r"秋季开学(?:前)?")),
    ("flood", re.compile(r"汛(?:期)?前")),
]

_DURATION_AFTER = re.compile(r"^(?:个)?(?:工作日|天|日内|个月|周)")
_DURATION_AFTER_LEN = 4  # its longest match, 个工作日


@dataclass(frozen=True)
class DeadlineMatch:
    """A deadline phrase found at ``start`` in a text, with its resolved date."""

    phrase: str
    start: int
    end: int
    date: dt.date | None


def _year_of(match: re.Match[str], year: int) -> int:
    groups = match.groupdict()
    if groups.get("y"):
        return int(groups["y"])
    if groups.get("next"):
        return year + 1
    return year


def _month_end(year: int, month: int) -> dt.date | None:
    if not 1 <= month <= 12:
        return None
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _quarter_end(year: int, label: str) -> dt.date | None:
    if label.startswith("前三"):
        return dt.date(year, 9, 30)
    if label == "首季":
        return dt.date(year, 3, 31)
    quarter = chinese_to_int(re.sub(r"[第季度末]", "", label))
    return _month_end(year, quarter * 3) if quarter and 1 <= quarter <= 4 else None


def _resolve(kind: str, match: re.Match[str], year: int) -> dt.date | None:
    """Resolve one matched phrase to a date; None when the phrase cannot be dated."""
    y = _year_of(match, year)
    groups = match.groupdict()
    month = chinese_to_int(groups["m"]) if groups.get("m") else None
    try:
        if kind == "day":
            return dt.date(y, month or 0, int(groups["d"]))
        if kind == "xun":
            day = {"上旬": 10, "中旬": 20}.get(groups["x"])
            return dt.date(y, month or 0, day) if day else _month_end(y, month or 0)
        if kind == "month_end":
            return _month_end(y, month or 0)
        if kind == "before_month":
            return (
                _month_end(y, (month or 0) - 1) if month and month > 1 else dt.date(y - 1, 12, 31)
            )
    except ValueError:
        return None
    return _resolve_named(kind, groups, y)


def _resolve_named(kind: str, groups: dict[str, str | None], y: int) -> dt.date | None:
    if kind == "half":
        return dt.date(y, 6, 30) if groups["h"] in ("上半年", "年中") else dt.date(y, 12, 31)
    if kind == "quarter":
        return _quarter_end(y, groups["q"] or "")
    if kind in ("year_end", "year_in", "new_year"):
        return dt.date(y, 12, 31)
    if kind == "national_day":
        return dt.date(y, 9, 30)
    if kind == "spring":
        month_day = SPRING_FESTIVAL.get(y + 1)
        return dt.date(y + 1, *month_day) - dt.timedelta(days=1) if month_day else None
    if kind == "autumn_term":
        return dt.date(y, 9, 1)
    if kind == "flood":
        return dt.date(y, 5, 31)
    return None


def find_deadlines(text: str, year: int | None) -> list[DeadlineMatch]:
    """All deadline phrases in ``text`` in order of appearance, non-overlapping.

    Without a work year the phrases are still returned, undated, so that a warning can be
    raised instead of silently dropping them.
    """
    found: list[DeadlineMatch] = []
    taken = bytearray(len(text))  # 1 where a phrase was found: linear, however many there are
    scan = ascii_digits(text)
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(scan):
            start, end = match.span()
            if any(taken[start:end]):
                continue
            after = text[end : end + _DURATION_AFTER_LEN]  # not text[end:]: a copy per match
            if _DURATION_AFTER.match(after) or _is_duration(text, start, match.group()):
                continue
            date = _resolve(kind, match, year) if year else None
            taken[start:end] = b"\x01" * (end - start)
            found.append(DeadlineMatch(text[start:end], start, end, date))
    return sorted(found, key=lambda item: item.start)


_BARE_MONTH = re.compile(rf"{_YEAR}(?P<m>{_MONTH})月(?:份)?$")


def bare_month(value: str, year: int | None) -> DeadlineMatch | None:
    """A 完成时限 cell holding only a month ("2025年6月", "6月份") means its last day."""
    match = _BARE_MONTH.search(ascii_digits(value.strip()))
    if not match or year is None:
        return None
    month = chinese_to_int(match.group("m"))
    date = _month_end(_year_of(match, year), month) if month else None
    return DeadlineMatch(value.strip(), 0, len(value.strip()), date)


def _is_duration(text: str, start: int, phrase: str) -> bool:
    """True for "3月" in "3个月" style durations or "12月" in a plan length; rare but real."""
    return phrase.endswith("月") and text[start - 1 : start] == "个"
