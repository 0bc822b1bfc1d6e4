"""The four services, by name: the registry the command line and the ASGI factory choose
from. A service's spec is imported only when asked for, so naming one costs nothing."""

from __future__ import annotations

import importlib

from shared.service import ServiceSpec

SERVICE_NAMES = ("intake", "tasks", "notify", "reporting")


def load_spec(name: str) -> ServiceSpec:
    if name not in SERVICE_NAMES:
        raise ValueError(f"unknown service {name!r}; choose one of {', '.join(SERVICE_NAMES)}")
    return importlib.import_module(f"services.{name}.spec").SPEC


def specs(*names: str) -> list[ServiceSpec]:
    """The specs of the named services, in that order; all four when none is named."""
    return [load_spec(name) for name in names or SERVICE_NAMES]
