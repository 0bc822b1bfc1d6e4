"""ASGI factory for ``duban serve NAME --workers N``: each uvicorn worker process builds its
own runtime (engine, relay, consumer, scheduler) for the service named in DUBAN_SERVICE."""

from __future__ import annotations

import os

from fastapi import FastAPI

from duban.services import specs
from shared.config import Settings
from shared.runtime import Runtime


def service_app() -> FastAPI:
    return Runtime(Settings(), specs(os.environ["DUBAN_SERVICE"])).create_app()
