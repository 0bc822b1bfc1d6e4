"""The tasks service's scheduled jobs. Each takes the clock as an argument, so tests can walk
a whole year in seconds; in production APScheduler calls them with the real time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from services.tasks.holidays import load_calendar
from services.tasks.lease import INSTANCE, acquire_lease
from services.tasks.scheduling import scan
from services.tasks.signal_updates import refresh_all
from shared.service import Job, ServiceRuntime

BEIJING = ZoneInfo("Asia/Shanghai")
LEASE = "deadline-scan"
LEASE_TTL = timedelta(minutes=15)


def scan_deadlines_at(
    sessions: sessionmaker[Session], now: datetime, holder: str = INSTANCE
) -> int | None:
    """One scheduler tick at ``now``: None if another replica holds the lease, else the
    number of reminder requests made. Signals are refreshed in the same tick."""
    today = now.astimezone(BEIJING).date()
    with sessions.begin() as session:
        if not acquire_lease(session, LEASE, holder, now, LEASE_TTL):
            return None
    with sessions.begin() as session:
        calendar = load_calendar(session)
        requested = scan(session, today, now, calendar)
        refresh_all(session, today, calendar)
    return requested


def scan_deadlines(service: ServiceRuntime) -> None:
    scan_deadlines_at(service.sessions, datetime.now(BEIJING))


# Every ten minutes: reminders go out the morning they fall due (notify keeps quiet at night),
# and a replica that took over the lease catches up within minutes.
JOBS = [
    Job(
        "scan_deadlines",
        scan_deadlines,
        {"trigger": "interval", "minutes": 10, "next_run_time": None},
    )
]
