"""The operator API of every service (``/ops/…``): its parked events, for the on-call who
has no shell on the host. Guarded by the operator token (``DUBAN_OPERATOR_TOKEN``); without
one configured the API answers 403, so it is never open by accident."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool

from shared import parked
from shared.messaging.inbox import NotParked, ParkedError
from shared.service import ServiceRuntime

router = APIRouter(prefix="/ops", tags=["运维"])


async def operator(request: Request) -> str:
    """The caller, if it holds the operator token; refused otherwise."""
    runtime: ServiceRuntime = request.app.state.runtime
    configured = runtime.settings.operator_token
    if configured is None:
        raise HTTPException(403, "未配置运维令牌（DUBAN_OPERATOR_TOKEN），运维接口已关闭")
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), configured.get_secret_value().encode()
    ):
        raise HTTPException(401, "需要运维令牌：Authorization: Bearer <令牌>")
    return "运维（API）"


OperatorDep = Annotated[str, Depends(operator)]


def _runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime


@router.get("/parked", summary="被搁置的事件")
async def list_parked(
    request: Request,
    _: OperatorDep,
    include_discarded: Annotated[bool, Query(description="也列出已丢弃的")] = False,
) -> list[dict[str, Any]]:
    sessions = _runtime(request).sessions
    return await run_in_threadpool(parked.listed, sessions, include_discarded)


@router.get("/parked/{event_id}", summary="一个被搁置的事件：原文与错误")
async def show_parked(request: Request, _: OperatorDep, event_id: str) -> dict[str, Any]:
    found = await run_in_threadpool(parked.found, _runtime(request).sessions, event_id)
    if found is None:
        raise HTTPException(404, f"没有被搁置的事件 {event_id}")
    return found


@router.post("/parked/{event_id}/retry", summary="重试（及排在其后的同一对象事件）")
async def retry_parked(request: Request, _: OperatorDep, event_id: str) -> list[dict[str, Any]]:
    subscriber = _runtime(request).subscriber
    try:
        return parked.outcome(await run_in_threadpool(subscriber.retry, event_id))
    except NotParked as exc:
        raise HTTPException(404, str(exc)) from exc
    except ParkedError as exc:
        raise HTTPException(409, str(exc)) from exc


@router.post("/parked/{event_id}/discard", summary="丢弃（排在其后的事件随即处理）")
async def discard_parked(
    request: Request, actor: OperatorDep, event_id: str
) -> list[dict[str, Any]]:
    subscriber = _runtime(request).subscriber
    try:
        return parked.outcome(await run_in_threadpool(subscriber.discard, event_id, actor))
    except NotParked as exc:
        raise HTTPException(404, str(exc)) from exc
    except ParkedError as exc:
        raise HTTPException(409, str(exc)) from exc
