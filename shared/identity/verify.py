"""``PrincipalDep``: the caller of a request, verified by this service alone.

A request carries ``Authorization: Bearer <token>``, or a person's session cookie
(``shared.identity.sessions``: signed, checked against this service's copy of the ended
sessions; a state-changing request with it needs the session's CSRF token). The bootstrap
admin token (``DUBAN_ADMIN_TOKEN``, or the older ``DUBAN_TASKS_ADMIN_TOKEN``) is the
administrator of every government in every service, for deployment automation. Any other
token is looked up, by its SHA-256 hash, in this service's own ``credential`` table; no other
service is asked on the request path. Known tokens (and sessions not ended) are kept for
30 s per process (``PrincipalCache``), so a revocation takes effect everywhere within 30 s
of its event arriving.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.orm import Session, sessionmaker

from shared.identity import sessions as cookies
from shared.identity.cache import PrincipalCache
from shared.identity.credentials import principal_for_hash, session_ended
from shared.identity.principal import ADMIN, Principal, Unauthorized


class IdentitySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    admin_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("DUBAN_ADMIN_TOKEN", "DUBAN_TASKS_ADMIN_TOKEN"),
        description="bootstrap admin token of every service; issue the real tokens with it",
    )

    @field_validator("admin_token", mode="before")
    @classmethod
    def empty_is_unset(cls, value: object) -> object:
        """``DUBAN_ADMIN_TOKEN=`` is no token, not a token anyone could send."""
        return None if value == "" else value


@lru_cache
def identity_settings() -> IdentitySettings:
    return IdentitySettings()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "dbn_" + secrets.token_urlsafe(32)


def is_admin_token(token: str) -> bool:
    configured = identity_settings().admin_token
    return configured is not None and hmac.compare_digest(
        token.encode(), configured.get_secret_value().encode()
    )


def principal_cache(app: FastAPI) -> PrincipalCache:
    """One cache per app (so per database); a revocation clears the token from it."""
    cache = getattr(app.state, "principals", None)
    if cache is None:
        cache = app.state.principals = PrincipalCache()
    return cache


def _lookup(sessions: sessionmaker[Session], token_hash: str) -> Principal:
    with sessions() as session:
        return principal_for_hash(session, token_hash)


# Declares the scheme in every service's OpenAPI, so /docs can send a token; a missing or
# malformed header is answered by ``get_principal`` (401 in Chinese), not by the scheme.
bearer_scheme = HTTPBearer(auto_error=False, description="访问令牌（POST /tasks/tokens 签发）")


def session_cache_key(session_hash: str) -> str:
    """Apart from the tokens' keys (their hashes) in the same cache."""
    return f"session:{session_hash}"


def _ended(sessions: sessionmaker[Session], session_hash: str) -> bool:
    with sessions() as session:
        return session_ended(session, session_hash)


async def session_principal(request: Request, response: Response, cookie: str) -> Principal:
    """The person of a live, well-signed session cookie that this service has not heard
    ended; the cookie is given again now and then, so that its idle time restarts."""
    try:
        now = time.time()
        claims = cookies.read(cookie, now)
    except cookies.NoSessionKey:
        claims = None
    if claims is None:
        raise Unauthorized("登录已失效或已超时，请重新登录（或使用访问令牌）")
    await cookies.check_csrf(request, claims)
    cache = principal_cache(request.app)
    principal = cache.get(session_cache_key(claims.hash))
    if principal is None:
        sessions = request.app.state.runtime.sessions
        if await run_in_threadpool(_ended, sessions, claims.hash):
            raise Unauthorized("登录已注销或已被终止，请重新登录")
        principal = claims.principal()
        cache.put(session_cache_key(claims.hash), principal)
    renewed = cookies.refreshed(claims, now)
    if renewed is not None:
        cookies.set_session_cookies(response, renewed)
    return principal


async def get_principal(
    request: Request,
    response: Response,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """401 without a known, unrevoked, unexpired token or a live session."""
    if credentials is None or not credentials.credentials.strip():
        cookie = request.cookies.get(cookies.COOKIE)
        if cookie:
            return await session_principal(request, response, cookie)
        raise Unauthorized("缺少访问令牌（Authorization: Bearer …）或登录会话")
    token = credentials.credentials.strip()
    if is_admin_token(token):
        return ADMIN
    token_hash = hash_token(token)
    cache = principal_cache(request.app)
    principal = cache.get(token_hash)
    if principal is None:
        sessions = request.app.state.runtime.sessions
        principal = await run_in_threadpool(_lookup, sessions, token_hash)
        cache.put(token_hash, principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
