"""When to try again after a transient failure: exponential back-off with full jitter
(half to all of the step, so a batch that failed together does not come back together),
never sooner than the provider asked. Pure; ``rand`` is injected by tests."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta


def next_attempt(
    now: datetime,
    attempts: int,
    first_s: float,
    max_s: float,
    retry_after_s: float | None = None,
    rand: Callable[[], float] = random.random,
) -> datetime:
    step = min(max_s, first_s * 2 ** max(0, attempts - 1))
    wait = step * (0.5 + rand() / 2)
    if retry_after_s is not None:
        wait = max(wait, retry_after_s)
    return now + timedelta(seconds=wait)
