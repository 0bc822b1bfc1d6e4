"""Pieces every provider router shares: reading a body, the generic failures, the hang."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from simulators.config import SimulatorConfig
from simulators.state import Fault, SimulatorState


def sim(request: Request) -> tuple[SimulatorConfig, SimulatorState]:
    """The config and state of the app this request reached (several apps may coexist)."""
    return request.app.state.sim_config, request.app.state.sim_state


def ok_json(payload: dict[str, Any], status: int = 200) -> JSONResponse:
    # ensure_ascii=False like the providers, so Chinese errmsg reads as Chinese.
    return JSONResponse(payload, status_code=status)


async def json_body(request: Request) -> tuple[bytes, Any]:
    """The raw bytes (signatures are over them) and the parsed JSON, or None if not JSON."""
    raw = await request.body()
    try:
        return raw, json.loads(raw) if raw else None
    except ValueError:
        return raw, None


def server_error() -> Response:
    """What a gateway in front of a provider answers when the provider is down: not JSON."""
    return PlainTextResponse("502 Bad Gateway", status_code=502)


async def hang(fault: Fault) -> None:
    """Hold the request longer than a client's timeout. Cancelled cleanly on shutdown."""
    await asyncio.sleep(fault.hang_s)


async def timeout_before(state: SimulatorState, fault: Fault) -> Response:
    """Hang, record nothing, then answer 504: the client has given up long before."""
    state.count_failure(fault.target, fault.mode)
    await hang(fault)
    return PlainTextResponse("504 Gateway Time-out", status_code=504)
