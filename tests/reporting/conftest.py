"""The reporting tests' scripted year, folded once per module into a reporting service of
its own (SQLite; PostgreSQL too when DUBAN_TEST_PG_URL is set)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from year_world import feed, scripted_year

from services.reporting.spec import SPEC
from shared.config import Settings
from shared.service import ServiceRuntime


@pytest.fixture(scope="module")
def year_events():
    return scripted_year()


@pytest.fixture(scope="module")
def reporting(tmp_path_factory: pytest.TempPathFactory, year_events) -> Iterator[ServiceRuntime]:
    data = Path(tmp_path_factory.mktemp("reporting"))
    runtime = ServiceRuntime(SPEC, Settings(data_dir=data), bus=None)  # type: ignore[arg-type]
    runtime.migrate()
    feed(runtime.subscriber, year_events)
    yield runtime
    runtime.dispose()
