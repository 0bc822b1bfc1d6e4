"""Known tokens for a few seconds, so that a request does not look its token up."""

from __future__ import annotations

import threading
from time import monotonic

from shared.identity.principal import Principal


class PrincipalCache:
    """Only successful look-ups are kept (a new token works at once, an unknown one is asked
    about every time). A revocation clears the entry in the tasks process that handled it at
    once; every other process (``--workers``, replicas, the other services, whose copies the
    revocation event updates) stops accepting the token within ``ttl_s`` of its copy changing.
    """

    def __init__(self, ttl_s: float = 30.0, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self._max = max_entries
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str) -> Principal | None:
        entry = self._entries.get(token_hash)
        if entry is None or monotonic() - entry[0] >= self.ttl_s:
            return None
        return entry[1]

    def put(self, token_hash: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[token_hash] = (monotonic(), principal)

    def forget(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def forget_token(self, token_id: int) -> None:
        with self._lock:
            for key, (_, principal) in list(self._entries.items()):
                if principal.token_id == token_id:
                    del self._entries[key]
