"""Parser for the State Council General Office's annual holiday notice.

国务院办公厅关于{year}年部分节假日安排的通知 arrives late each year, long before chinesecalendar
learns the new year; an administrator pastes its text here and gets the per-date overrides.
The parser is strict: every numbered item must parse completely and every weekday written in
parentheses must match the date, otherwise ``HolidayNoticeError`` names the item. A partial
result would silently move deadlines, which is worse than refusing.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from .model import CalendarDataError, Override

_DATE = r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日(?:\(([^)]*)\))?"
_DATE_BARE = r"(?:\d{4}年)?(?:\d{1,2}月)?\d{1,2}日(?:\([^)]*\))?"
_HOLIDAY = re.compile(
    rf"(?P<start>{_DATE_BARE})(?:至(?P<end>{_DATE_BARE}))?放假(?:调休)?"
    r"(?:,?共?(?P<days>\d+)天)?(?:,不调休|,与周末连休)?"
)
_WORKDAYS = re.compile(rf"{_DATE_BARE}(?:、{_DATE_BARE})*上班")
_ITEM = re.compile(r"^([一二三四五六七八九十]+)、([^:]{1,40}):(.*)$")
_ITEM_START = re.compile(r"。(?=[一二三四五六七八九十]+、[^:。]{1,40}:|节假日期间|国务院办公厅)")
_SIGNED = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
_YEAR = re.compile(r"关于(\d{4})年部分节假日安排|现将(\d{4})年")
_WEEKDAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_WEEKDAYS = "一二三四五六日"
_MAX_RANGE_DAYS = 31


class HolidayNoticeError(CalendarDataError):
    """The notice text could not be read completely; the message names the offending item."""


def normalise(text: str) -> str:
    """NFKC (full-width digits, brackets, colons and commas become ASCII) and no spaces."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[ \t\u3000]+", "", text)


def notice_year(text: str) -> int:
    """The year the notice schedules, read from its title or its first sentence."""
    match = _YEAR.search(normalise(text))
    if match is None:
        raise HolidayNoticeError("未找到通知所属年份（应有“关于XXXX年部分节假日安排的通知”字样）")
    return int(match.group(1) or match.group(2))


def _ends_items(line: str) -> bool:
    """The closing paragraph or the signature: no item text comes after them."""
    return line.startswith(("节假日期间", "国务院办公厅")) or bool(_SIGNED.fullmatch(line))


def _items(text: str) -> list[tuple[str, str, str]]:
    """(numbering, festival, body) per item, in order.

    Every line between the first item and the closing paragraph belongs to an item: lines broken
    inside a sentence (PDF) are rejoined, and a stray line is parsed (and refused) rather than
    dropped, which would be a silent partial result. A notice pasted as one line (web page) is
    split before each item.
    """
    items: list[tuple[str, str, str]] = []
    for line in _ITEM_START.sub("。\n", normalise(text)).splitlines():
        match = _ITEM.match(line)
        if match:
            items.append((match.group(1), match.group(2), match.group(3)))
        elif items and _ends_items(line):
            break
        elif items and line:
            number, name, body = items[-1]
            items[-1] = (number, name, body + line)
    return items


class _Item:
    """Resolves the dates of one festival item against the notice year."""

    def __init__(self, year: int, number: str, name: str, body: str) -> None:
        self.year, self.name, self.body = year, name, body
        self.label = f"第{number}项“{name}：{body}”"
        self.month: int | None = None

    def fail(self, why: str) -> HolidayNoticeError:
        return HolidayNoticeError(f"节假日通知{self.label}：{why}")

    def resolve(self, token: str, after: date | None = None) -> date:
        """One written date → date; a missing month is inherited, a weekday is checked.

        A range end without a year that falls before its start (12月31日至1月2日) is next year.
        """
        match = re.fullmatch(_DATE, token)
        assert match is not None  # tokens come from the patterns above
        year_text, month_text, day_text, paren = match.groups()
        if month_text is None and self.month is None:
            raise self.fail(f"“{token}”缺少月份")
        month = int(month_text) if month_text else self.month
        assert month is not None
        self.month = month
        year = int(year_text) if year_text else self.default_year(month)
        try:
            result = date(year, month, int(day_text))
            if after is not None and result < after and not year_text:
                result = result.replace(year=year + 1)
        except ValueError as exc:
            raise self.fail(f"“{token}”不是有效日期") from exc
        self.check_weekday(token, result, paren)
        return result

    def default_year(self, month: int) -> int:
        """元旦 of year Y may begin in December of Y-1; every other date is in year Y."""
        return self.year - 1 if month == 12 and "元旦" in self.name else self.year

    def check_weekday(self, token: str, d: date, paren: str | None) -> None:
        weekday = _WEEKDAY.search(paren or "")
        if weekday is None:
            return
        written = _WEEKDAYS.index(weekday.group(1).replace("天", "日"))
        if written != d.weekday():
            actual = _WEEKDAYS[d.weekday()]
            raise self.fail(f"“{token}”写的是周{_WEEKDAYS[written]}，但{d}是周{actual}")

    def holidays(self, match: re.Match[str]) -> list[date]:
        start = self.resolve(match.group("start"))
        end = self.resolve(match.group("end"), start) if match.group("end") else start
        span = (end - start).days + 1
        if not 1 <= span <= _MAX_RANGE_DAYS:
            raise self.fail(f"放假区间{start}至{end}不合理")
        if match.group("days") and int(match.group("days")) != span:
            raise self.fail(f"写明共{match.group('days')}天，但{start}至{end}是{span}天")
        return [start + timedelta(days=i) for i in range(span)]

    def parse(self) -> list[Override]:
        """Every sentence is either a holiday range or a list of make-up workdays."""
        sentences = [s for s in self.body.split("。") if s]
        result: list[Override] = []
        for sentence in sentences:
            if holiday := _HOLIDAY.fullmatch(sentence):
                result += [Override(d, "holiday", self.name) for d in self.holidays(holiday)]
            elif _WORKDAYS.fullmatch(sentence):
                for token in re.findall(_DATE_BARE, sentence):
                    result.append(Override(self.resolve(token), "workday", f"{self.name}调休上班"))
            else:
                raise self.fail(f"无法识别“{sentence}”")
        if not any(o.kind == "holiday" for o in result):
            raise self.fail("没有放假日期")
        return result


def parse_notice(text: str, year: int | None = None) -> list[Override]:
    """All holidays and make-up workdays of the notice, sorted by date.

    ``year`` defaults to the year in the title; if both are present they must agree.
    """
    written = _YEAR.search(normalise(text))
    found = notice_year(text) if written or year is None else year
    if year is not None and found != year:
        raise HolidayNoticeError(f"通知写的是{found}年，但导入时指定的是{year}年")
    items = _items(text)
    if not items:
        raise HolidayNoticeError("通知中未找到“一、元旦：……”格式的放假安排")
    by_date: dict[date, Override] = {}
    for number, name, body in items:
        for row in _Item(found, number, name, body).parse():
            seen = by_date.setdefault(row.date, row)
            if seen.kind != row.kind:
                raise HolidayNoticeError(f"节假日通知中{row.date}既放假又上班，请核对原文")
    return sorted(by_date.values(), key=lambda o: o.date)
