"""Working-day arithmetic on the Chinese official calendar (statutory holidays and 调休).

Sources, strongest first: the administrator's per-date overrides, then chinesecalendar's data
for the years it knows, then weekends only. A year known to neither is reported as "unknown"
so that callers show a warning instead of silently trusting a guess.

Each year is precomputed lazily into a sorted list of workday ordinals plus a flag table, so
``is_workday`` is O(1) and ``add_workdays`` / ``workdays_between`` are O(log n) via bisect.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

import chinese_calendar

from .model import CalendarDataError, Kind, Override

YearStatus = Literal["admin", "library", "unknown"]
UNKNOWN_YEAR_WARNING = (
    "{year}年法定节假日安排尚未录入，暂按周末计算工作日；请管理员导入国务院办公厅通知。"
)
OverridesInput = Iterable[Override] | Mapping[date, Kind | Override]


@dataclass(frozen=True, slots=True)
class _Year:
    """Precomputed workdays of one year: ``ordinals`` sorted, ``flags[i]`` for Jan 1 + i."""

    first: int
    ordinals: list[int]
    flags: bytes


def _library_workday(d: date) -> bool | None:
    """chinesecalendar's answer, or None when it has no data for ``d``'s year."""
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return None


def _normalise(overrides: OverridesInput) -> dict[date, Override]:
    """Accept a DB-style mapping or Override rows; refuse a date given two different kinds."""
    if isinstance(overrides, Mapping):
        rows = [v if isinstance(v, Override) else Override(k, v) for k, v in overrides.items()]
    else:
        rows = list(overrides)
    result: dict[date, Override] = {}
    for row in rows:
        seen = result.get(row.date)
        if seen is not None and seen.kind != row.kind:
            raise CalendarDataError(f"{row.date} 同时被设为放假和上班，请核对节假日表")
        result.setdefault(row.date, row)
    return result


class WorkCalendar:
    """Answers "is this a working day" and shifts dates by working days.

    ``schedule_years``: years whose complete national schedule is in ``overrides`` (an imported
    notice). None means every year with at least one override counts as scheduled by the
    administrator. Pass it explicitly to keep a lone local override from hiding a missing year.
    """

    def __init__(
        self, overrides: OverridesInput = (), *, schedule_years: Iterable[int] | None = None
    ) -> None:
        self._overrides = _normalise(overrides)
        if schedule_years is None:
            schedule_years = {d.year for d in self._overrides}
        self._admin_years = frozenset(schedule_years)
        self._years: dict[int, _Year] = {}
        self._library_years: dict[int, bool] = {}

    # -- sources -------------------------------------------------------------------------------

    def override(self, d: date) -> Override | None:
        """The administrator's row for ``d``, if any (to show its note next to a deadline)."""
        return self._overrides.get(d)

    def year_status(self, year: int) -> YearStatus:
        """Where ``year``'s holidays come from; "unknown" means weekends only, warn the user."""
        if year in self._admin_years:
            return "admin"
        if self._library_knows(year):
            return "library"
        return "unknown"

    def warnings_for(self, years: Iterable[int]) -> list[str]:
        """One Chinese warning per unknown year, sorted, for display next to computed dates."""
        unknown = sorted({y for y in years if self.year_status(y) == "unknown"})
        return [UNKNOWN_YEAR_WARNING.format(year=y) for y in unknown]

    def warnings_between(self, a: date, b: date) -> list[str]:
        """Warnings for every year a computation from ``a`` to ``b`` touched."""
        low, high = sorted((a.year, b.year))
        return self.warnings_for(range(low, high + 1))

    def _library_knows(self, year: int) -> bool:
        known = self._library_years.get(year)
        if known is None:
            known = _library_workday(date(year, 1, 1)) is not None
            self._library_years[year] = known
        return known

    # -- per-year tables -----------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = self._years[year] = self._build_year(year)
        return table

    def _build_year(self, year: int) -> _Year:
        """Resolve each day once: override, else library, else Monday–Friday."""
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        use_library = self._library_knows(year)
        flags = bytearray()
        for ordinal in range(first, last + 1):
            d = date.fromordinal(ordinal)
            row = self._overrides.get(d)
            if row is not None:
                work = row.kind == "workday"
            elif use_library:
                work = bool(_library_workday(d))
            else:
                work = d.weekday() < 5
            flags.append(work)
        ordinals = [first + i for i, flag in enumerate(flags) if flag]
        return _Year(first, ordinals, bytes(flags))

    # -- queries -------------------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """True when government offices work on ``d`` (make-up Saturdays included)."""
        table = self._year(d.year)
        return bool(table.flags[d.toordinal() - table.first])

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th workday after ``d`` (n > 0) or before it (n < 0); ``d`` itself never counts.

        n == 0 rolls forward: ``d`` if it is a workday, else the next workday. So for a workday
        ``d``, ``add_workdays(add_workdays(d, n), -n) == d``.
        """
        if n == 0:
            return d if self.is_workday(d) else self.add_workdays(d, 1)
        year = d.year
        ordinals = self._year(year).ordinals
        if n > 0:
            index = bisect_right(ordinals, d.toordinal()) + n - 1
            while index >= len(ordinals):
                index -= len(ordinals)
                year += 1
                ordinals = self._year(year).ordinals
        else:
            index = bisect_left(ordinals, d.toordinal()) + n
            while index < 0:
                year -= 1
                ordinals = self._year(year).ordinals
                index += len(ordinals)
        return date.fromordinal(ordinals[index])

    def shift_many(self, dates: Iterable[date], n: int) -> list[date]:
        """``add_workdays`` over many due dates (the scheduler's reminder offsets)."""
        shift = self.add_workdays
        return [shift(d, n) for d in dates]

    def next_workday(self, d: date) -> date:
        """The first workday strictly after ``d``."""
        return self.add_workdays(d, 1)

    def previous_workday(self, d: date) -> date:
        """The last workday strictly before ``d``."""
        return self.add_workdays(d, -1)

    def workdays_between(self, a: date, b: date) -> int:
        """Workdays in the half-open interval (a, b]; negative (minus those in (b, a]) if b < a.

        ``workdays_between(due, today)`` is "overdue by X working days" (0 on the due day);
        ``workdays_between(today, due)`` is "due within N working days". For any ``a`` and
        n > 0, ``workdays_between(a, add_workdays(a, n)) == n``.
        """
        if b < a:
            return -self.workdays_between(b, a)
        count = -bisect_right(self._year(a.year).ordinals, a.toordinal())
        for year in range(a.year, b.year):
            count += len(self._year(year).ordinals)
        return count + bisect_right(self._year(b.year).ordinals, b.toordinal())
