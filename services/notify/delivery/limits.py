"""The rate limiter: sliding windows per channel and per recipient address, consulted before
a message is handed over. A message over a limit is deferred to the moment its window allows
(``next_attempt_at``): never slept on in a handler, never sent to be dropped (WeCom drops the
31st app message to a member within a minute without an error).

Where the counts live: in the database. The windows are counted from the ``delivery_attempt``
rows of the window (every hand-over is one, written before the call), inside the claim
transaction, which on PostgreSQL holds an advisory lock per sender pass
(``sender.CLAIM_LOCK``): two replicas never both see 29 and send the 30th and 31st. A
per-process bucket would let N replicas send N times the limit, and forget the window on
every restart. Pure: the sender gives it the history and the clock."""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from services.notify.channels.base import RateLimit


class Windows:
    """The hand-over times of one channel in the longest window it declares: all of them
    (for channel-wide limits) and by recipient address (``rate_key``)."""

    def __init__(self, limits: Sequence[RateLimit], history: Iterable[tuple[str, datetime]]):
        self.limits = list(limits)
        self.all: list[datetime] = []
        self.by_key: dict[str, list[datetime]] = {}
        for key, at in history:
            self.take(key, at)

    def take(self, key: str, at: datetime) -> None:
        insort(self.all, at)
        insort(self.by_key.setdefault(key, []), at)

    def allowed_at(self, key: str, now: datetime) -> datetime:
        """The earliest moment from ``now`` at which one more message to ``key`` keeps every
        limit: ``now`` itself when it may go at once."""
        earliest = now
        moved = True
        while moved:  # a move for one limit may meet another: until all agree
            moved = False
            for limit in self.limits:
                times = self.by_key.get(key, []) if limit.per_recipient else self.all
                window = timedelta(seconds=limit.window_s)
                inside = times[bisect_right(times, earliest - window) :]
                if len(inside) >= limit.count:
                    # wait until enough of them have left the window ending then
                    earliest = inside[len(inside) - limit.count] + window
                    moved = True
        return earliest


def longest_window(limits: Sequence[RateLimit]) -> timedelta:
    return timedelta(seconds=max((limit.window_s for limit in limits), default=0))
