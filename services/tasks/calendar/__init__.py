"""Working days on the Chinese official calendar, and the holiday data that defines them.

What this package exports is pure and I/O-free: the caller loads the administrator's table or
a data file and passes the rows in. The table itself (``models``), loading and importing it
(``store``) and its API (``routes``) live beside it and are imported by their own names.
Note: imports as ``services.tasks.calendar``; always import it by that absolute name so it
never shadows the standard library's ``calendar``.
"""

from .datafile import (
    OverridesFileError,
    dump_csv,
    load_overrides_file,
    looks_like_notice,
    parse_csv,
)
from .model import CalendarDataError, Kind, Override
from .notice import HolidayNoticeError, notice_year, parse_notice
from .workdays import UNKNOWN_YEAR_WARNING, WorkCalendar, YearStatus

__all__ = [
    "UNKNOWN_YEAR_WARNING",
    "CalendarDataError",
    "HolidayNoticeError",
    "Kind",
    "Override",
    "OverridesFileError",
    "WorkCalendar",
    "YearStatus",
    "dump_csv",
    "load_overrides_file",
    "looks_like_notice",
    "notice_year",
    "parse_csv",
    "parse_notice",
]
