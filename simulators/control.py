"""The control API under ``/_control``: no provider has it; tests and demos use it to arm
faults, read what was delivered, move the clock and start over."""

from __future__ import annotations

import random
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from simulators.common import sim
from simulators.state import MODES, TARGETS, TRANSIENT, Fault, RandomFaults

router = APIRouter(prefix="/_control")


class FaultRequest(BaseModel):
    """Either one fault for the next ``times`` matching requests (``mode``), or a random
    failure rate among transient modes (``failure_rate``; 0 switches it off)."""

    target: str
    mode: str | None = None
    times: int = Field(1, ge=1)
    match: str | None = None
    hang_s: float | None = Field(None, ge=0, le=600)
    failure_rate: float | None = Field(None, ge=0, le=1)
    seed: int | None = None
    modes: list[str] | None = None


@router.post("/faults")
def arm_fault(request: Request, spec: FaultRequest) -> dict[str, Any]:
    config, state = sim(request)
    if spec.target not in TARGETS:
        raise HTTPException(400, f"target must be one of {list(TARGETS)}")
    allowed = MODES[spec.target]
    hang_s = spec.hang_s if spec.hang_s is not None else config.default_hang_s
    if spec.failure_rate is not None:
        modes = spec.modes or [m for m in TRANSIENT if m in allowed]
        bad = [m for m in modes if m not in allowed]
        if bad or not modes:
            raise HTTPException(400, f"{spec.target} knows the modes {list(allowed)}")
        rng = random.Random(spec.seed)
        state.arm_random(spec.target, RandomFaults(spec.failure_rate, tuple(modes), rng, hang_s))
        return {"target": spec.target, "failure_rate": spec.failure_rate, "modes": modes}
    if spec.mode not in allowed:
        raise HTTPException(400, f"{spec.target} knows the modes {list(allowed)}")
    state.arm(Fault(spec.target, spec.mode, spec.times, spec.match, hang_s))
    return {"target": spec.target, "mode": spec.mode, "times": spec.times, "match": spec.match}


@router.get("/faults")
def list_faults(request: Request) -> dict[str, Any]:
    _, state = sim(request)
    with state.lock:
        return {
            "armed": [vars(f).copy() for f in state.faults],
            "random": {
                t: {"failure_rate": r.failure_rate, "modes": list(r.modes)}
                for t, r in state.random_faults.items()
            },
        }


@router.delete("/faults")
def clear_faults(request: Request) -> dict[str, Any]:
    _, state = sim(request)
    with state.lock:
        state.faults.clear()
        state.random_faults.clear()
    return {"cleared": True}


@router.get("/received")
def received(
    request: Request,
    target: str | None = None,
    recipient: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Oldest first. ``status`` is delivered, duplicate (WeCom's duplicate check; see
    ``duplicate_of``) or dropped (over WeCom's per-member limit)."""
    _, state = sim(request)
    return [r.as_dict() for r in state.received(target, recipient, status)]


@router.get("/todos")
def todos(request: Request, system: str | None = None) -> list[dict[str, Any]]:
    _, state = sim(request)
    return [t.as_dict() for t in state.todo_list(system)]


@router.get("/stats")
def stats(request: Request) -> dict[str, Any]:
    _, state = sim(request)
    return state.stats_view()


@router.post("/reset")
def reset(request: Request) -> dict[str, Any]:
    _, state = sim(request)
    state.reset()
    return {"reset": True}


class ClockRequest(BaseModel):
    """``set`` freezes the clock at a unix time, ``advance`` moves it (frozen or not),
    ``real`` goes back to the wall clock."""

    set: float | None = None
    advance: float | None = None
    real: bool = False


@router.post("/clock")
def clock(request: Request, spec: ClockRequest) -> dict[str, Any]:
    _, state = sim(request)
    if spec.real:
        state.clock.real()
    if spec.set is not None:
        state.clock.set(spec.set)
    if spec.advance is not None:
        state.clock.advance(spec.advance)
    return state.clock.describe()


@router.get("/clock")
def read_clock(request: Request) -> dict[str, Any]:
    _, state = sim(request)
    return state.clock.describe()
