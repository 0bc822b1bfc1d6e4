"""The FastAPI app of one service: its routers plus /healthz, /readyz and /metrics.

Routes get the service's session factory through ``SessionsDep`` and open their own
transaction (``with sessions.begin()``): whoever calls the logic owns the transaction.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from shared import operations
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
    try:
        runtime.check_ready()
    except Exception as exc:
        log.warning("%s not ready: %s", runtime.name, exc)
        return JSONResponse(
            {"status": "unavailable", "detail": f"数据库或消息总线不可用：{type(exc).__name__}"},
            status_code=503,
        )
    return JSONResponse({"status": "ready"})


async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
    """A dropped database connection (a restart, a failover) is worth a retry: the pool is
    renewed by then, and the transaction was rolled back. Anything else is a real fault."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        log.warning("database connection lost during %s %s", request.method, request.url.path)
        return JSONResponse(
            {"detail": "数据库连接中断，本次操作未生效，请稍后重试"},
            status_code=503,
            headers={"Retry-After": "1"},
        )
    raise exc


def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def create_service_app(runtime: ServiceRuntime) -> FastAPI:
    spec = runtime.spec
    app = FastAPI(title=f"duban · {spec.title}", description=f"{spec.title}（{spec.name}）接口")
    app.state.runtime = runtime
    for router in spec.routers:
        app.include_router(router)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(DBAPIError, on_database_error)
    for exception, handler in spec.exception_handlers.items():
        app.add_exception_handler(exception, handler)
    app.add_api_route("/healthz", healthz, tags=["运维"], summary="存活检查")
    app.add_api_route("/readyz", readyz, tags=["运维"], summary="就绪检查：数据库与消息总线")
    app.add_api_route("/metrics", metrics, tags=["运维"], summary="Prometheus 指标")
    app.include_router(operations.router)
    return app
