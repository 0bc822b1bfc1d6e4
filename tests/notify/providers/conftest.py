"""One simulator for the provider-client tests (started once), reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from simulators.testing import running_simulator


@pytest.fixture(scope="session")
def simulator() -> Iterator[str]:
    with running_simulator() as base:
        yield base


@pytest.fixture
def sim(simulator: str) -> str:
    httpx.post(f"{simulator}/_control/reset", timeout=5).raise_for_status()
    return simulator
