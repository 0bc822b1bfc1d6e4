"""Dates are Beijing dates: a deadline falls due at midnight in China, whatever the server's
zone. Every "today" of the service comes from here (or is passed in by a test or a job)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_today() -> date:
    return datetime.now(BEIJING).date()


def beijing_date(moment: datetime) -> date:
    return moment.astimezone(BEIJING).date()
