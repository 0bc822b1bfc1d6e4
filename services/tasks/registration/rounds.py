"""Reporting rounds (报送进展): their names and, when a notice sets none, their dates. Pure."""

from __future__ import annotations

from datetime import date


def period_names(dates: list[date]) -> dict[date, str]:
    """Names of reporting rounds: quarterly sets are 2026-Q1…Q4; otherwise 6-30 is H1,
    9-30 Q3, 12-31 the year (Y), 3-31 Q1, and any other date its month."""
    quarter_ends = [d for d in dates if d.month in (3, 6, 9, 12) and d.day >= 25]
    if len(dates) >= 4 and len(quarter_ends) == len(dates):
        names: dict[date, str] = {}
        for d in sorted(dates):  # "年底前报告全年" beside a Q4 round is the year's round
            quarter = f"{d.year}-Q{d.month // 3}"
            names[d] = f"{d.year}-Y" if quarter in names.values() else quarter
        return names
    named = {(6, 30): "H1", (12, 31): "Y", (3, 31): "Q1", (9, 30): "Q3"}
    return {d: f"{d.year}-{named.get((d.month, d.day), f'{d.month:02d}')}" for d in dates}


def default_rounds(year: int) -> list[date]:
    """Quarter ends, when a notice sets no reporting dates of its own."""
    return [date(year, 3, 31), date(year, 6, 30), date(year, 9, 30), date(year, 12, 31)]
