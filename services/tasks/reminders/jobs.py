"""The tasks service's scheduled jobs. Each takes the clock as an argument, so tests can walk
a whole year in seconds; in production APScheduler calls them with the real time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from services.tasks.calendar.store import load_calendar
from services.tasks.clock import BEIJING, beijing_date
from services.tasks.reminders.lease import INSTANCE, acquire_lease
from services.tasks.reminders.scan import scan
from services.tasks.signals.refresh import refresh_signals
from shared.service import Job, ServiceRuntime

LEASE = "deadline-scan"
LEASE_TTL = timedelta(minutes=15)


def scan_deadlines_at(
    sessions: sessionmaker[Session], now: datetime, holder: str = INSTANCE
) -> int | None:
    """One scheduler tick at ``now``: None if another replica holds the lease, else the
    number of reminder requests made. Signals are refreshed in the same tick."""
    today = beijing_date(now)
    with sessions.begin() as session:
        if not acquire_lease(session, LEASE, holder, now, LEASE_TTL):
            return None
    with sessions.begin() as session:
        calendar = load_calendar(session)
        requested = scan(session, today, now, calendar)
        refresh_signals(session, today, calendar)
    return len(requested)


def scan_deadlines(service: ServiceRuntime) -> None:
    scan_deadlines_at(service.sessions, datetime.now(BEIJING))


# Every ten minutes: reminders go out the morning they fall due (notify keeps quiet at night),
# and a replica that took over the lease catches up within minutes. Once soon after start as
# well: a service that was down catches up at once. (It was added with next_run_time=None,
# which APScheduler 3 takes as "paused": no scan ever ran outside the tests.)
JOBS = [
    Job(
        "scan_deadlines",
        scan_deadlines,
        {"trigger": "interval", "minutes": 10},
        run_at_start=True,
    )
]
