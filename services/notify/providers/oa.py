"""OA 统一待办: what the three adapters (泛微 E9, 致远, our signed webhook) share.

A to-do is pushed into the OA of the unit whose person must act, and closed ("done", 已办)
when the task is reported. Its id in the OA is derived from our delivery key
(:func:`todo_id`), so sending it again updates the same to-do instead of making a second one:
resending is safe (``safe_to_resend = True``), and an ``in_doubt`` can simply be resent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from services.notify.providers.result import RateLimit, SendResult

CHINA = timezone(timedelta(hours=8))


def todo_id(key: str) -> str:
    """The to-do's id in every OA: stable for a delivery key, short, and of characters every
    OA accepts (``duban-`` and 32 hex digits)."""
    return "duban-" + hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Todo:
    key: str  # our delivery key; the OA's id for the to-do is todo_id(key)
    receiver: str  # the person's account in that OA (login name / user id)
    title: str
    url: str  # the PC link back into duban
    app_url: str | None = None  # the mobile link; None = url
    created_at: datetime | None = None  # when we first created it; None = now

    @property
    def id(self) -> str:
        return todo_id(self.key)

    def created(self) -> datetime:
        return (self.created_at or datetime.now(CHINA)).astimezone(CHINA)


class TodoClient(Protocol):
    provider: str
    safe_to_resend: bool
    rate_limits: tuple[RateLimit, ...]

    def create(self, todo: Todo) -> SendResult:
        """Create the to-do, or update it if it exists (same id)."""
        ...

    def done(self, key: str, receiver: str, *, title: str = "") -> SendResult:
        """Mark the receiver's to-do done (已办)."""
        ...

    def close(self) -> None: ...
