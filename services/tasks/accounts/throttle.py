"""Failed logins remembered in the process, beside each account's own counter: per client
address (many names tried from one place) and per login name that has no account (so that
an unknown name is locked out like a known one, and lock-out does not reveal which names
exist). A process that restarts forgets them; the accounts' counters are in the database."""

from __future__ import annotations

import threading
from collections import deque
from time import monotonic

CLIENT_LIMIT = 30  # failures from one address within the window


class Throttle:
    def __init__(self, window_s: float, limit: int, max_keys: int = 50_000) -> None:
        self.window_s, self.limit, self._max = window_s, limit, max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures.get(key)
        if found is None:
            if len(self._failures) >= self._max:
                self._failures.clear()
            found = self._failures[key] = deque()
        while found and now - found[0] >= self.window_s:
            found.popleft()
        return found

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again; 0: now."""
        now = monotonic()
        with self._lock:
            recent = self._recent(key, now)
            if len(recent) < self.limit:
                return 0
            return max(1, int(self.window_s - (now - recent[0])) + 1)

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key, monotonic()).append(monotonic())

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
