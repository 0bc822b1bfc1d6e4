"""The simulator as one FastAPI app, to run alone or to mount inside ``duban run``."""

from __future__ import annotations

from fastapi import FastAPI

from simulators import aliyun, control, oa, page, tencent, wecom
from simulators.config import SimulatorConfig
from simulators.state import SimulatorState


def create_app(config: SimulatorConfig | None = None) -> FastAPI:
    """A fresh simulator with its own state. Paths are relative to where it is mounted: a
    channel's base URL is the mount point plus ``/wecom``, ``/aliyun``, ``/tencent``,
    ``/weaver``, ``/seeyon`` or ``/webhook``."""
    app = FastAPI(
        title="duban provider simulators",
        description="WeCom, Aliyun SMS, Tencent SMS and OA to-do, for development and tests.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.sim_config = config or SimulatorConfig()
    app.state.sim_state = SimulatorState()
    for module in (wecom, aliyun, tencent, oa, control, page):
        app.include_router(module.router)
    return app


def state_of(app: FastAPI) -> SimulatorState:
    """The live state, for in-process tests that want to look without HTTP."""
    return app.state.sim_state
