"""Fixtures of the notify tests: the service on SQLite and on PostgreSQL (the same test,
parametrised). Helpers are in delivery_world.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.notify.spec import SPEC
from shared.config import Settings
from shared.service import ServiceRuntime


@pytest.fixture
def notify(tmp_path: Path, database_url: str | None) -> Iterator[ServiceRuntime]:
    settings = Settings(data_dir=tmp_path, topic_prefix="n", database_url=database_url)
    runtime = ServiceRuntime(SPEC, settings, bus=None)  # type: ignore[arg-type]
    runtime.migrate()
    yield runtime
    runtime.dispose()
