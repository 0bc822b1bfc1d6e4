"""The tasks service's HTTP face: its routers, one per concept, and the mapping of its domain
errors to HTTP statuses."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from services.tasks.access.routes import router as tokens_router
from services.tasks.accounts.routes import router as accounts_router
from services.tasks.calendar.routes import router as calendar_router
from services.tasks.directory.routes import router as directory_router
from services.tasks.errors import Conflict, Invalid, NotFound
from services.tasks.lifecycle.routes import router as tasks_router
from services.tasks.progress.routes import router as progress_router
from services.tasks.reminders.routes import router as policy_router
from services.tasks.reminders.routes import scan_router
from services.tasks.supervision.routes import router as supervision_router
from shared.errors import error_body

ROUTERS = [
    tasks_router,
    supervision_router,
    progress_router,
    directory_router,
    tokens_router,
    accounts_router,
    calendar_router,
    policy_router,
    scan_router,
]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status)


async def on_not_found(_request: Request, exc: Exception) -> JSONResponse:
    return _error(404, str(exc))


async def on_conflict(_request: Request, exc: Exception) -> JSONResponse:
    return _error(409, str(exc))


async def on_invalid(_request: Request, exc: Exception) -> JSONResponse:
    return _error(422, str(exc))


EXCEPTION_HANDLERS = {
    NotFound: on_not_found,
    Conflict: on_conflict,
    Invalid: on_invalid,
}
