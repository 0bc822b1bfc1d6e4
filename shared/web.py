"""The FastAPI app of one service: its routers plus /healthz, /readyz and /metrics.

Every route but /healthz and /readyz asks for a credential: the service's routes a token
(``shared.identity``), /metrics and /ops/… the operator token (``DUBAN_OPERATOR_TOKEN``),
unless ``DUBAN_METRICS_PUBLIC`` leaves /metrics open to whoever can reach the port.

Routes get the service's session factory through ``SessionsDep`` and open their own
transaction (``with sessions.begin()``): whoever calls the logic owns the transaction.

Every failure is answered in JSON, in Chinese. A request that could not reach the database
(down, restarting, failing over, out of connections) gets 503 with ``Retry-After``: its
transaction was rolled back, and a client that follows the README waits and retries instead
of giving up. Whatever else escapes a route is a real fault: 500, logged.
"""

from __future__ import annotations

import inspect
import logging
import re
import sqlite3
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import operations
from shared.bodylimit import BodyLimit
from shared.db import Outage, outage_of
from shared.docs_page import add_docs_page
from shared.errors import error_body, with_declared_errors
from shared.identity.principal import Forbidden, Unauthorized
from shared.service import ServiceRuntime
from shared.validation import on_validation_error

log = logging.getLogger(__name__)


async def get_runtime(request: Request) -> ServiceRuntime:  # async: no threadpool hop
    return request.app.state.runtime


async def get_sessions(request: Request) -> sessionmaker[Session]:
    return request.app.state.runtime.sessions


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]
SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]


async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def readyz(runtime: RuntimeDep) -> JSONResponse:
    report = runtime.check_ready()
    if report.ready:
        return JSONResponse({"status": "ready"})
    return JSONResponse(
        {
            "status": "unavailable",
            "detail": f"未就绪：{report.detail}",
            "code": "unavailable",
            "checks": report.checks,
        },
        status_code=503,
        headers={"Retry-After": "2"},
    )


# What each outage tells the client, and when to come back: a lost connection at once (the
# pool is renewed by then), an unreachable or busy database after a few seconds. The failed
# transaction was rolled back, but a request of several transactions (store, then read back)
# may have committed its first: the message does not promise that nothing was stored.
UNAVAILABLE: dict[Outage, tuple[str, str]] = {
    Outage.LOST: ("数据库连接中断，请稍后重试", "1"),
    Outage.UNREACHABLE: ("数据库暂时无法连接，请稍后重试", "5"),
    Outage.BUSY: ("数据库繁忙，请稍后重试", "5"),
}
INTERNAL_ERROR = "服务内部错误，已记录在案，请联系系统管理员"


def unavailable(request: Request, outage: Outage, exc: BaseException) -> JSONResponse:
    detail, retry_after = UNAVAILABLE[outage]
    log.warning("database %s during %s %s: %r", outage.value, request.method, request.url.path, exc)
    return JSONResponse(
        error_body(503, detail), status_code=503, headers={"Retry-After": retry_after}
    )


OUT_OF_RANGE = "请求中的数值或文字超出了允许的范围（过大、过长或含有空字符），请检查后重试"


def is_bad_value(error: BaseException) -> bool:
    """A value the database refused as such (PostgreSQL's data exceptions: a number out of
    range, text too long, a NUL character; SQLite's integer beyond 64 bits): the request's
    fault, its transaction rolled back. The edge refuses these before they get here; this is
    the backstop, so that a value no model bounded is a 422, never a 500."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DataError):
            return True
        if isinstance(current, OverflowError | sqlite3.DataError):
            return True
        if type(current).__module__.startswith("psycopg") and type(current).__name__ in (
            "DataError",
            "NumericValueOutOfRange",
            "StringDataRightTruncation",
            "CharacterNotInRepertoire",
            "UntranslatableCharacter",
            "DatetimeFieldOverflow",
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def error_response(request: Request, exc: Exception) -> JSONResponse:
    """The answer to an exception no handler took: 503 for an outage, 422 for a value the
    database refused (``is_bad_value``), else 500."""
    outage = outage_of(exc)
    if outage is not None:
        return unavailable(request, outage, exc)
    if is_bad_value(exc):
        log.warning("bad value in %s %s: %r", request.method, request.url.path, exc)
        return JSONResponse(error_body(422, OUT_OF_RANGE) | {"code": "out_of_range"}, 422)
    log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body(500, INTERNAL_ERROR), status_code=500)


class ErrorsAsJson:
    """Answers what escapes the routes, their dependencies and the exception handlers (see
    ``error_response``). A plain ASGI middleware, not an ``Exception`` handler: Starlette
    re-raises after such a handler, so every 503 would also be logged as a crash by the
    server. Once the response has started nothing can be answered instead: re-raised."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:
                raise
            await error_response(Request(scope), exc)(scope, receive, send)


def outage_first(handler: Callable[..., Any]) -> Callable[..., Any]:
    """An exception handler that answers 503 first when the exception was raised because of
    a database outage: code that catches a failure and raises its own error (a 404, a 409,
    an HTTPException) must not turn "try again later" into a wrong, final answer."""

    async def handle(request: Request, exc: Exception) -> Response:
        outage = outage_of(exc)
        if outage is not None:
            return unavailable(request, outage, exc)
        response = handler(request, exc)
        return await response if inspect.isawaitable(response) else response

    return handle


async def on_unauthorized(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        error_body(401, str(exc)), status_code=401, headers={"WWW-Authenticate": "Bearer"}
    )


async def on_forbidden(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(error_body(403, str(exc)), status_code=403)


NOT_JSON = "请求内容不是合法的 JSON（UTF-8 编码）"


async def on_http_exception(request: Request, exc: Exception) -> Response:
    """An ``HTTPException`` in the one error shape (``shared.errors.error_body``): a dict
    detail ``{"code", "message", ...}`` keeps its code and extra keys. FastAPI's 400 for a
    body it could not decode is a 422 like any other malformed body; a 405 names every
    method the path has (Starlette names only the first route's)."""
    assert isinstance(exc, HTTPException)
    headers = dict(getattr(exc, "headers", None) or {})
    status, detail = exc.status_code, exc.detail
    if status in (204, 304) or status < 400:
        return Response(status_code=status, headers=headers)
    if status == 400 and detail == "There was an error parsing the body":
        status, detail = 422, {"code": "json_invalid", "message": NOT_JSON}
    if status == 405:
        allowed = allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
        detail = "不支持此请求方法"
    return JSONResponse(error_body(status, detail), status_code=status, headers=headers)


def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile(
        "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts if p) + "$"
    )


def allowed_methods(request: Request) -> list[str]:
    """The methods the service's OpenAPI documents for the request's path."""
    app: FastAPI = request.app
    path = request.scope["path"].removeprefix(request.scope.get("root_path", ""))
    matches = [
        (template.count("{"), documented)
        for template, documented in app.openapi().get("paths", {}).items()
        if _template(template).match(path)
    ]
    if not matches:
        return []
    # /documents/text, not /documents/{document_id}: the most literal path is the one meant.
    fewest = min(params for params, _ in matches)
    found = {
        method.upper()
        for params, documented in matches
        if params == fewest
        for method in documented
        if method in ("get", "put", "post", "patch", "delete")
    }
    return sorted(found)


class RefuseNul:
    """A NUL character in a request's path or query is refused (422) before any route sees
    it: PostgreSQL cannot store or even compare one, and no name or id contains one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope.get("path", "")
            or b"\x00" in unquote_to_bytes(scope.get("query_string", b""))
        ):
            body = error_body(422, "路径或查询参数不能含有空字符（\\u0000）") | {"code": "no_nul"}
            await JSONResponse(body, status_code=422)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def metrics_reader(request: Request) -> None:
    """The operator token, unless the deployment leaves /metrics open (its port reachable
    only from the monitoring network, say)."""
    runtime: ServiceRuntime = request.app.state.runtime
    if not runtime.settings.metrics_public:
        await operations.operator(request)


def metrics(_: Annotated[None, Depends(metrics_reader)]) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def create_service_app(runtime: ServiceRuntime) -> FastAPI:
    spec = runtime.spec
    app = FastAPI(
        title=f"duban · {spec.title}",
        description=f"{spec.title}（{spec.name}）接口",
        docs_url=None,  # served with local assets (add_docs_page), not from a CDN
        redoc_url=None,
    )
    add_docs_page(app)
    app.state.runtime = runtime
    for router in spec.routers:
        app.include_router(router)
    app.add_middleware(BodyLimit)  # inside ErrorsAsJson: it ends a read past the limit
    app.add_middleware(RefuseNul)
    app.add_middleware(ErrorsAsJson)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, outage_first(on_http_exception))
    app.add_exception_handler(Unauthorized, outage_first(on_unauthorized))
    app.add_exception_handler(Forbidden, outage_first(on_forbidden))
    for exception, handler in spec.exception_handlers.items():
        app.add_exception_handler(exception, outage_first(handler))
    app.add_api_route("/healthz", healthz, tags=["运维"], summary="存活检查")
    app.add_api_route("/readyz", readyz, tags=["运维"], summary="就绪检查：数据库与消息总线")
    app.add_api_route("/metrics", metrics, tags=["运维"], summary="Prometheus 指标（运维令牌）")
    app.include_router(operations.router)
    app.openapi = with_declared_errors(app)  # type: ignore[method-assign]
    return app
