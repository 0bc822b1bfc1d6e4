"""Quiet hours: SMS and robot messages wait for the morning unless they are urgent or the
contact asked to be reached at any hour. WeCom app messages and OA to-dos are not held: they
do not ring a phone, and the person reads them when he or she opens the app. Pure."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

URGENT_ON_DUE_DAY = ("escalation", "due_today")


def is_urgent(kind: str, due: date | None, now: datetime, zone: ZoneInfo) -> bool:
    """A 催办 always; an escalation or a "due today" reminder on the due day itself."""
    if kind == "urge":
        return True
    return kind in URGENT_ON_DUE_DAY and due is not None and now.astimezone(zone).date() == due


def quiet_until(now: datetime, start: time, end: time, zone: ZoneInfo) -> datetime | None:
    """When the quiet hours around ``now`` end (an aware datetime), or None outside them.
    ``start`` after ``end`` (21:00–08:00) spans midnight."""
    local = now.astimezone(zone)
    clock = local.time()
    if start <= end:
        inside = start <= clock < end
        ends_on = local.date()
    else:
        inside = clock >= start or clock < end
        ends_on = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    return datetime.combine(ends_on, end, tzinfo=zone)
