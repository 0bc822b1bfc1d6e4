"""The notify service's domain errors, each with a Chinese message the clerk can act on, and
their HTTP statuses (401 and 403 are shared by every service: ``shared.web``)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse


class NotFound(LookupError):
    """No such contact, delivery or template (404)."""


class Conflict(ValueError):
    """Not allowed in the current state; the message says why (409)."""


class Invalid(ValueError):
    """Input that cannot be used as given (422); ``errors`` lists each bad row of a file."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


async def on_not_found(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "code": "not_found"}, status_code=404)


async def on_conflict(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "code": "conflict"}, status_code=409)


async def on_invalid(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Invalid)
    body: dict[str, object] = {"detail": str(exc), "code": "invalid"}
    if exc.errors:
        body["errors"] = exc.errors
    return JSONResponse(body, status_code=422)


EXCEPTION_HANDLERS = {NotFound: on_not_found, Conflict: on_conflict, Invalid: on_invalid}
