"""Which replica runs the scheduler: a lease row, taken or renewed each tick, that another
replica may take over only after it lapsed. The same on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.tasks.reminders.models import SchedulerLease

INSTANCE = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def acquire_lease(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease; False while another holder's lease is still valid."""
    now = now.astimezone(UTC)  # SQLite keeps no offset: store and compare in UTC
    lease = session.get(SchedulerLease, name, with_for_update=True)
    if lease is None:
        try:
            with session.begin_nested():
                session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
        except IntegrityError:
            return False
        return True
    if lease.holder != holder and _aware(lease.expires_at) > now:
        return False
    lease.holder, lease.expires_at = holder, now + ttl
    return True
