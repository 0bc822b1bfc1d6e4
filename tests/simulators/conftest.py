"""The simulator tests' fixture: a fresh simulator per test, in process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sim_helpers import CONFIG

from simulators import create_app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(CONFIG)) as c:
        yield c
