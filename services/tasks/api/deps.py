"""Dependencies and error mapping shared by the tasks routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from services.tasks.auth import Forbidden, Principal, Unauthorized, authenticate
from services.tasks.directory import DirectoryError
from services.tasks.lifecycle import Conflict, NotFound
from services.tasks.settings import TasksSettings, tasks_settings
from shared.web import SessionsDep

SettingsDep = Annotated[TasksSettings, Depends(tasks_settings)]


def get_principal(request: Request, sessions: SessionsDep, settings: SettingsDep) -> Principal:
    admin = settings.admin_token.get_secret_value() if settings.admin_token else None
    with sessions() as session:
        return authenticate(session, request.headers.get("authorization"), admin)


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
