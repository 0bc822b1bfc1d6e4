"""Dependencies and error mapping shared by the tasks routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker

from services.tasks.auth import (
    ADMIN,
    Forbidden,
    Principal,
    PrincipalCache,
    Unauthorized,
    bearer_token,
    hash_token,
    is_admin_token,
    principal_for_hash,
)
from services.tasks.directory import DirectoryError
from services.tasks.lifecycle import Conflict, NotFound
from services.tasks.settings import tasks_settings
from shared.web import SessionsDep


def principal_cache(app: FastAPI) -> PrincipalCache:
    """One cache per app (so per database); tokens.revoke clears a revoked token from it."""
    cache = getattr(app.state, "principals", None)
    if cache is None:
        cache = app.state.principals = PrincipalCache()
    return cache


def _lookup(sessions: sessionmaker[Session], token_hash: str) -> Principal:
    with sessions() as session:
        return principal_for_hash(session, token_hash)


async def get_principal(request: Request, sessions: SessionsDep) -> Principal:
    """401 without a known, unrevoked token. Known tokens are cached for 30 s per process
    (see PrincipalCache): a revocation is immediate here and within 30 s elsewhere."""
    token = bearer_token(request.headers.get("authorization"))
    settings = tasks_settings()
    admin = settings.admin_token.get_secret_value() if settings.admin_token else None
    if is_admin_token(token, admin):
        return ADMIN
    token_hash = hash_token(token)
    cache = principal_cache(request.app)
    principal = cache.get(token_hash)
    if principal is None:
        principal = await run_in_threadpool(_lookup, sessions, token_hash)
        cache.put(token_hash, principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


async def on_unauthorized(_request: Request, exc: Exception) -> JSONResponse:
    return _error(401, str(exc), {"WWW-Authenticate": "Bearer"})


async def on_forbidden(_request: Request, exc: Exception) -> JSONResponse:
    return _error(403, str(exc))


async def on_not_found(_request: Request, exc: Exception) -> JSONResponse:
    return _error(404, str(exc))


async def on_conflict(_request: Request, exc: Exception) -> JSONResponse:
    return _error(409, str(exc))


async def on_bad_directory(_request: Request, exc: Exception) -> JSONResponse:
    return _error(422, str(exc))


EXCEPTION_HANDLERS = {
    Unauthorized: on_unauthorized,
    Forbidden: on_forbidden,
    NotFound: on_not_found,
    Conflict: on_conflict,
    DirectoryError: on_bad_directory,
}
