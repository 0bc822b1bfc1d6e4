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
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import operations
from shared.bodylimit import BodyLimit
from shared.db import Outage, outage_of
from shared.docs_page import add_docs_page
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
        {"status": "unavailable", "detail": f"未就绪：{report.detail}", "checks": report.checks},
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
    return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": retry_after})


def error_response(request: Request, exc: Exception) -> JSONResponse:
    """The answer to an exception no handler took: 503 for an outage, else 500."""
    outage = outage_of(exc)
    if outage is not None:
        return unavailable(request, outage, exc)
    log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": INTERNAL_ERROR}, status_code=500)


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
        {"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
    )


async def on_forbidden(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=403)


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
    app.add_middleware(ErrorsAsJson)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, outage_first(http_exception_handler))
    app.add_exception_handler(Unauthorized, outage_first(on_unauthorized))
    app.add_exception_handler(Forbidden, outage_first(on_forbidden))
    for exception, handler in spec.exception_handlers.items():
        app.add_exception_handler(exception, outage_first(handler))
    app.add_api_route("/healthz", healthz, tags=["运维"], summary="存活检查")
    app.add_api_route("/readyz", readyz, tags=["运维"], summary="就绪检查：数据库与消息总线")
    app.add_api_route("/metrics", metrics, tags=["运维"], summary="Prometheus 指标（运维令牌）")
    app.include_router(operations.router)
    return app
