"""Rate limits on the doors worth hammering: login, token issuance, uploads, OA pushes.

Each kind of request has two sliding windows: one per credential (the bearer token, kept
only as its SHA-256; or, for a login, the account name) and one per client address. A
request over either gets 429 with ``Retry-After`` (seconds until the oldest request of the
window leaves it) and is not counted; ``{"code": "rate_limited", "message": "<中文>"}``.

Apply it to a route with one line, a dependency::

    @router.post("/tokens", dependencies=[rate_limit("tokens")])

or, where the credential is only known inside the route (a login's account name)::

    await check_rate(request, "login", credential=body.name)

Settings (``DUBAN_RATE_*``), each ``N/S``: N requests in S seconds.

- ``DUBAN_RATE_LOGIN`` 10/60 per account, ``DUBAN_RATE_LOGIN_ADDRESS`` 30/60 per address
- ``DUBAN_RATE_TOKENS`` 30/60, ``DUBAN_RATE_TOKENS_ADDRESS`` 60/60
- ``DUBAN_RATE_UPLOAD`` 30/60, ``DUBAN_RATE_UPLOAD_ADDRESS`` 60/60 (uploads and pasted text)
- ``DUBAN_RATE_PUSH`` 120/60, ``DUBAN_RATE_PUSH_ADDRESS`` 240/60 (OA pushes)
- ``DUBAN_RATE_ENABLED`` true; false turns every limit off.

The counts live in the process (one limiter per service app): with ``--workers N`` a client
may get N times the limit. The address is the one the server sees; behind a reverse proxy
run uvicorn with ``--forwarded-allow-ips`` so it is the client's, not the proxy's.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from fastapi import Depends, HTTPException, Request
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

KINDS = ("login", "tokens", "upload", "push")
WHAT = {"login": "登录", "tokens": "签发令牌", "upload": "上传文件", "push": "推送文件"}


def _rate(default: str, what: str) -> Any:
    return Field(default, pattern=r"^\d+/\d+$", description=f"{what}: N requests in S seconds")


class RateSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUBAN_RATE_", extra="ignore")

    enabled: bool = True
    login: str = _rate("10/60", "logins per account")
    login_address: str = _rate("30/60", "logins per client address")
    tokens: str = _rate("30/60", "tokens issued per credential")
    tokens_address: str = _rate("60/60", "tokens issued per client address")
    upload: str = _rate("30/60", "uploads per credential")
    upload_address: str = _rate("60/60", "uploads per client address")
    push: str = _rate("120/60", "OA pushes per credential")
    push_address: str = _rate("240/60", "OA pushes per client address")

    @field_validator("*", mode="after")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        if isinstance(value, str) and value.split("/")[1] == "0":
            raise ValueError("the window must be at least 1 second")
        return value

    def rate(self, kind: str, scope: str) -> tuple[int, float]:
        raw = getattr(self, kind if scope == "credential" else f"{kind}_address")
        count, seconds = raw.split("/")
        return int(count), float(seconds)


@lru_cache
def rate_settings() -> RateSettings:
    return RateSettings()


class RateLimited(HTTPException):
    def __init__(self, kind: str, retry_after: int) -> None:
        message = f"{WHAT.get(kind, '请求')}过于频繁，请 {retry_after} 秒后再试。"
        super().__init__(
            429,
            {"code": "rate_limited", "message": message},
            headers={"Retry-After": str(retry_after)},
        )


class RateLimiter:
    """Sliding windows: the times of the requests each key made within its window."""

    SWEEP_EVERY = 1000  # hits between sweeps of the keys whose windows emptied

    def __init__(self, settings: RateSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.clock = clock
        self.hits: dict[str, deque[float]] = {}
        self.windows: dict[str, float] = {}  # each key's window, to sweep it when it empties
        self.lock = threading.Lock()
        self.since_sweep = 0

    def _wait(self, key: str, count: int, seconds: float, now: float) -> float:
        """Seconds until ``key`` may make another request (0: now)."""
        times = self.hits.get(key)
        if times is None:
            return 0.0
        while times and times[0] <= now - seconds:
            times.popleft()
        return times[0] + seconds - now if len(times) >= count else 0.0

    def hit(self, kind: str, credential: str | None, address: str | None) -> None:
        """Count one request of ``kind``; ``RateLimited`` (not counted) when over a limit."""
        if not self.settings.enabled:
            return
        now = self.clock()
        keys = []
        if credential:
            keys.append((f"{kind}|c|{credential}", *self.settings.rate(kind, "credential")))
        if address:
            keys.append((f"{kind}|a|{address}", *self.settings.rate(kind, "address")))
        with self.lock:
            wait = max((self._wait(key, n, s, now) for key, n, s in keys), default=0.0)
            if wait > 0:
                raise RateLimited(kind, max(1, math.ceil(wait)))
            for key, _n, seconds in keys:
                self.hits.setdefault(key, deque()).append(now)
                self.windows[key] = seconds
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        self.since_sweep += 1
        if self.since_sweep < self.SWEEP_EVERY:
            return
        self.since_sweep = 0
        for key in [k for k, t in self.hits.items() if not t or t[-1] <= now - self.windows[k]]:
            del self.hits[key]
            del self.windows[key]


def limiter_of(request: Request) -> RateLimiter:
    """The app's limiter, made on first use (a test may set ``app.state.rate_limiter``)."""
    state = request.app.state
    if getattr(state, "rate_limiter", None) is None:
        state.rate_limiter = RateLimiter(rate_settings())
    return state.rate_limiter


def bearer_key(request: Request) -> str | None:
    """The credential a request presents, as a SHA-256 (the token itself is not kept)."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    return hashlib.sha256(token.encode()).hexdigest() if token else None


async def check_rate(request: Request, kind: str, credential: str | None = None) -> None:
    """Count one request of ``kind`` from its credential (by default its bearer token) and
    its client address; raise 429 when over either limit."""
    if credential is None:
        key = bearer_key(request)
    else:
        key = hashlib.sha256(credential.encode()).hexdigest()
    address = request.client.host if request.client else None
    limiter_of(request).hit(kind, key, address)


def rate_limit(kind: str) -> Any:
    """The dependency limiting a route: ``dependencies=[rate_limit("upload")]``."""
    if kind not in KINDS:
        raise ValueError(f"unknown rate limit kind {kind!r}: one of {KINDS}")

    async def limited(request: Request) -> None:
        await check_rate(request, kind)

    return Depends(limited)
