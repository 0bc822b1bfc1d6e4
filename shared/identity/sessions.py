"""People's login sessions, as every service verifies them by itself.

A session is a cookie (``duban_session``) signed with HMAC-SHA256 under ``DUBAN_SESSION_KEY``
that carries who the person is (account, role, government, unit or leader), the session's
number and secret id, when it began, when it was last used and when it ends. Any service
holding the key verifies it with no call to another service, the moment after login. An
ended session (logout, password reset, lock-out, account disabled) is announced as
``access.session_revoked`` and kept in every service's ``credential`` copy; a service asks
its own copy, at most every 30 s per session (``PrincipalCache``).

State-changing requests carried by the cookie need a CSRF token: ``X-CSRF-Token`` (or the
form field ``csrf_token``) equal to the HMAC of the session id, which the tasks service also
puts in the readable cookie ``duban_csrf`` for pages' scripts (signed double submit). A
bearer token needs none: a browser never sends one by itself. See docs/identity.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, replace
from functools import lru_cache

from fastapi import Request, Response
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.identity.principal import Forbidden, Principal, Role

COOKIE = "duban_session"
CSRF_COOKIE = "duban_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REFRESH_S = 60  # a cookie used after this long is given again, with its new last use
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class SessionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUBAN_SESSION_", extra="ignore")

    key: SecretStr | None = Field(
        None, description="signs the session cookies; the same in every service"
    )
    idle_minutes: float = Field(30, gt=0, description="a session unused this long ends")
    lifetime_hours: float = Field(8, gt=0, description="a session ends this long after login")
    cookie_secure: bool | None = Field(
        None, description="cookies only over HTTPS; unset: on in production mode"
    )
    production: bool = Field(False, validation_alias=AliasChoices("DUBAN_PRODUCTION"))

    @field_validator("key", "cookie_secure", mode="before")
    @classmethod
    def empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def secure(self) -> bool:
        return self.production if self.cookie_secure is None else self.cookie_secure


@lru_cache
def session_settings() -> SessionSettings:
    return SessionSettings()


class NoSessionKey(Exception):
    """Sessions are off: no ``DUBAN_SESSION_KEY`` is configured."""


def _key() -> bytes:
    key = session_settings().key
    if key is None:
        raise NoSessionKey("未配置会话密钥 DUBAN_SESSION_KEY，不能登录；请使用访问令牌")
    return key.get_secret_value().encode()


def _mac(purpose: str, data: bytes) -> str:
    digest = hmac.new(_key(), purpose.encode() + b"\0" + data, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def session_hash(session_id: str) -> str:
    """What the copies know of a session: never its id."""
    return hashlib.sha256(f"session:{session_id}".encode()).hexdigest()


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Claims:
    """What a session cookie says. Times are Unix seconds."""

    sid: str  # the secret id; its hash names the session in the copies
    no: int  # the session's number in the tasks service
    account: int
    name: str
    role: str
    gov: str | None
    unit: str | None
    leader: str | None
    iat: int
    seen: int
    exp: int

    @property
    def hash(self) -> str:
        return session_hash(self.sid)

    def principal(self) -> Principal:
        return Principal(
            name=self.name,
            role=Role(self.role),
            government_id=self.gov,
            unit=self.unit,
            leader=self.leader,
            account_id=self.account,
        )

    def live_at(self, now: float) -> bool:
        idle_s = session_settings().idle_minutes * 60
        return self.iat <= now + 60 and now < self.exp and now - self.seen < idle_s


def sign(claims: Claims) -> str:
    payload = json.dumps(asdict(claims), ensure_ascii=False, separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"{body}.{_mac('session', body.encode())}"


def read(cookie: str, now: float | None = None) -> Claims | None:
    """The claims of a well-signed cookie still live (not expired, not idle), else None."""
    body, _, mac = cookie.partition(".")
    try:
        if not mac or not hmac.compare_digest(mac, _mac("session", body.encode())):
            return None
        claims = Claims(**json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))
        Role(claims.role)
    except (ValueError, TypeError):
        return None
    return claims if claims.live_at(time.time() if now is None else now) else None


def csrf_token(claims: Claims) -> str:
    """The session's CSRF token: bound to it, so a cookie planted by a neighbour is useless."""
    return _mac("csrf", claims.sid.encode())


def new_login_csrf() -> str:
    """The login form's token, before there is a session: a nonce and its signature, in the
    ``duban_csrf`` cookie and the form alike."""
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_mac('login', nonce.encode())}"


def login_csrf_ok(cookie: str | None, sent: str | None) -> bool:
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        return False
    nonce, _, mac = cookie.partition(".")
    return bool(mac) and hmac.compare_digest(mac, _mac("login", nonce.encode()))


def _cookie(response: Response, name: str, value: str, http_only: bool) -> None:
    response.set_cookie(
        name,
        value,
        httponly=http_only,
        samesite="lax",
        secure=session_settings().secure,
        path="/",
    )


def set_session_cookies(response: Response, claims: Claims) -> None:
    """The session (HttpOnly: no script reads it) and its CSRF token (readable: a page's
    script echoes it in ``X-CSRF-Token``). No Max-Age: they end with the browser."""
    _cookie(response, COOKIE, sign(claims), http_only=True)
    _cookie(response, CSRF_COOKIE, csrf_token(claims), http_only=False)


def set_login_csrf_cookie(response: Response, token: str) -> None:
    _cookie(response, CSRF_COOKIE, token, http_only=False)


def clear_session_cookies(response: Response) -> None:
    for name in (COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", samesite="lax", secure=session_settings().secure)


def refreshed(claims: Claims, now: float) -> Claims | None:
    """The claims with their new last use, when the cookie should be given again."""
    return replace(claims, seen=int(now)) if now - claims.seen >= REFRESH_S else None


async def check_csrf(request: Request, claims: Claims) -> None:
    """403 for a state-changing request carried by the cookie without the session's token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(_FORMS):
        field = (await request.form()).get(CSRF_FIELD)  # Starlette keeps the parsed form
        sent = field if isinstance(field, str) else None
    if not sent or not hmac.compare_digest(sent, csrf_token(claims)):
        raise Forbidden(
            f"缺少或错误的 CSRF 令牌：用登录会话提交修改时须带上 {CSRF_HEADER} "
            f"（其值见 Cookie {CSRF_COOKIE}），请刷新页面后重试"
        )
