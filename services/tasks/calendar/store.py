"""The holiday table in the database, behind the pure working-day calendar.

An administrator imports each year's schedule from the State Council's notice (the text
itself, or a CSV of date,kind,note). Until then a year the library does not know counts
weekends only, and every deadline computed in it carries a visible warning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from time import monotonic
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.calendar import WorkCalendar, load_overrides_file, looks_like_notice
from services.tasks.calendar import notice_year as year_of_notice
from services.tasks.calendar.models import HolidayOverride, HolidayYear


def load_calendar(session: Session) -> WorkCalendar:
    overrides = {row.day: row.kind for row in session.scalars(select(HolidayOverride))}
    years = set(session.scalars(select(HolidayYear.year)))
    return WorkCalendar(overrides, schedule_years=years)


def import_year(session: Session, text: str, actor: str) -> tuple[int, int]:
    """Replace one year's schedule; returns (year, days). Raises CalendarDataError."""
    overrides = load_overrides_file(text)
    is_notice = looks_like_notice(text)
    year = (
        year_of_notice(text)
        if is_notice
        else Counter(o.date.year for o in overrides).most_common(1)[0][0]
    )
    first, last = date(year, 1, 1), date(year, 12, 31)
    session.execute(delete(HolidayOverride).where(HolidayOverride.day.between(first, last)))
    for override in overrides:
        session.merge(
            HolidayOverride(day=override.date, kind=override.kind, note=override.note[:100])
        )
    record = session.get(HolidayYear, year) or HolidayYear(year=year)
    record.source = "notice" if is_notice else "csv"
    record.imported_by, record.imported_at = actor, datetime.now(UTC)
    session.merge(record)
    audit.record(
        session,
        government_id="*",
        actor=actor,
        action="calendar.imported",
        entity="holiday_year",
        entity_id=year,
        after={"days": len(overrides), "source": record.source},
    )
    return year, len(overrides)


_CACHE: dict[Any, tuple[float, WorkCalendar]] = {}
CACHE_SECONDS = 60.0


def cached_calendar(session: Session) -> WorkCalendar:
    """The calendar, rebuilt at most once a minute (an import through the API clears it)."""
    return _cached(session.get_bind().engine, lambda: load_calendar(session))


def calendar_for(engine: Engine) -> WorkCalendar:
    """The same cache, for a caller without a session of its own."""

    def load() -> WorkCalendar:
        with Session(engine) as session:
            return load_calendar(session)

    return _cached(engine, load)


def _cached(engine: Engine, load: Callable[[], WorkCalendar]) -> WorkCalendar:
    now = monotonic()
    key = engine.url  # one cache per database (a URL compares by its parts)
    cached = _CACHE.get(key)
    if cached and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    calendar = load()
    _CACHE[key] = (now, calendar)
    return calendar


def clear_cache() -> None:
    _CACHE.clear()
