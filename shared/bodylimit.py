"""Request bodies held to a size while they stream in, for every route of every service.

A plain ASGI middleware (``BodyLimit``, registered in ``shared.web.create_service_app``):

- a declared ``Content-Length`` over the route's limit is refused (413) before a byte of the
  body is read;
- otherwise the bytes are counted as ``receive()`` yields them (``Transfer-Encoding:
  chunked`` included): once over the limit the client gets 413 at once, the route's read
  fails (``BodyTooLarge``) and the rest of the body is never read;
- a response sent before the body was read to its end (401 to an unsigned push, 413) closes
  the connection (``Connection: close``), so the client stops sending instead of the server
  reading and dropping the rest.

Nothing is buffered here: a route holds at most its limit, in memory or (a multipart file)
spooled to disk.

The limit of a route is declared on its endpoint with ``@body_limit(...)`` (below its
``@router.post``): bytes, or a function of the app giving a ``Limit`` (bytes and the
sentence the 413 says). Any other route takes ``DUBAN_MAX_BODY_KB`` (a JSON body: 1 MB);
the tasks service's directory and calendar imports take ``DUBAN_MAX_IMPORT_MB`` (10 MB).
The 413 reads ``{"detail": "<中文说明>", "code": "too_large"}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUBAN_", extra="ignore")

    max_body_kb: int = Field(
        1024,
        ge=1,
        description="DUBAN_MAX_BODY_KB: a request body (JSON) of a route that "
        "declares no limit of its own",
    )
    max_import_mb: float = Field(
        10, gt=0, description="DUBAN_MAX_IMPORT_MB: a directory or calendar file imported"
    )


@lru_cache
def body_limit_settings() -> BodyLimitSettings:
    return BodyLimitSettings()


class Limit(NamedTuple):
    size: int  # bytes
    message: str  # what the 413 says, in Chinese


LimitOf = int | Limit | Callable[[Any], int | Limit]  # the callable is given the app
ATTRIBUTE = "__duban_body_limit__"


def human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.3g} MB"
    return f"{size / 1024:.3g} KB" if size >= 1024 else f"{size} 字节"


def too_large(size: int) -> str:
    return f"请求内容超过 {human(size)} 的上限，请压缩或拆分后再提交。"


def body_limit(limit: LimitOf) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the body limit of a route: put it below the ``@router.post(...)``."""

    def mark(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        setattr(endpoint, ATTRIBUTE, limit)
        return endpoint

    return mark


def import_limit(_app: Any = None) -> Limit:
    """A file imported into the directory or the calendar."""
    size = int(body_limit_settings().max_import_mb * 1024 * 1024)
    return Limit(size, f"导入的文件超过 {human(size)} 的上限，请拆分后再导入。")


def default_limit() -> Limit:
    size = body_limit_settings().max_body_kb * 1024
    return Limit(size, too_large(size))


Declared = tuple[re.Pattern[str], frozenset[str], LimitOf]


def declared_limits(app: Any) -> list[Declared]:
    """The routes of ``app`` that declare a limit: path pattern, methods, limit. Found once
    per app. FastAPI keeps an included router as one route of its own (``original_router``,
    its routes through ``effective_route_contexts``); Starlette lists the routes."""
    state = getattr(app, "state", None)
    found: list[Declared] | None = getattr(state, "duban_body_limits", None)
    if found is not None:
        return found
    found = []
    for route in getattr(getattr(app, "router", None), "routes", ()):
        contexts = getattr(route, "effective_route_contexts", None)
        for effective in contexts() if contexts else (route,):
            declared = getattr(getattr(effective, "endpoint", None), ATTRIBUTE, None)
            pattern = getattr(effective, "path_regex", None)
            if declared is not None and pattern is not None:
                methods = frozenset(getattr(effective, "methods", None) or ())
                found.append((pattern, methods, declared))
    if state is not None:
        state.duban_body_limits = found
    return found


def route_path(scope: Scope) -> str:
    """The path the app routes on: under a mount, without the mount's prefix."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def limit_of(scope: Scope) -> Limit:
    """The limit of the route the request goes to; the default for any other."""
    app, path, method = scope.get("app"), route_path(scope), scope.get("method", "")
    for pattern, methods, declared in declared_limits(app):
        if pattern.match(path) and (not methods or method in methods):
            found = declared(app) if callable(declared) else declared
            return found if isinstance(found, Limit) else Limit(found, too_large(found))
    return default_limit()


class BodyTooLarge(Exception):
    """Raised into the route reading a body past its limit; the 413 is already sent."""


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.strip().isdigit() else None
    return None


def has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding" and b"chunked" in value.lower():
            return True
        if name == b"content-length" and value.strip() not in (b"", b"0"):
            return True
    return False


async def refuse(send: Send, limit: Limit) -> None:
    body = json.dumps({"detail": limit.message, "code": "too_large"}, ensure_ascii=False)
    encoded = body.encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(encoded)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": encoded})


class BodyLimit:
    """See the module. Sits inside ``ErrorsAsJson``: a ``BodyTooLarge`` stops here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_of(scope)
        declared = declared_length(scope)
        if declared is not None and declared > limit.size:
            await refuse(send, limit)
            return
        pending = has_body(scope)  # body bytes the client will send that are not read yet
        received = 0
        refused = started = False

        async def receiving() -> Message:
            nonlocal received, pending, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.size:
                    if not started and not refused:
                        refused = True
                        await refuse(send, limit)
                    raise BodyTooLarge(limit.message)
                if not message.get("more_body", False):
                    pending = False
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the route's answer to its failed read: the client has the 413
            if message["type"] == "http.response.start":
                started = True
                if pending:  # answered before the body was read: no use sending the rest
                    headers = [h for h in message.get("headers", []) if h[0] != b"connection"]
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        except BodyTooLarge:
            if not refused:
                raise
