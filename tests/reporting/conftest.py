"""The reporting tests' scripted year, folded once per module into a reporting service of
its own: SQLite, and for the recount (``both_databases``) PostgreSQL too (a database of its
own, when DUBAN_TEST_PG_URL is set; skipped without, failed in CI)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from year_world import feed, scripted_year

from services.reporting.spec import SPEC
from shared.config import Settings
from shared.service import ServiceRuntime


@pytest.fixture(scope="module")
def year_events():
    return scripted_year()


def year_runtime(data: Path, database_url: str | None, events) -> ServiceRuntime:
    settings = Settings(data_dir=data, database_url=database_url)
    runtime = ServiceRuntime(SPEC, settings, bus=None)  # type: ignore[arg-type]
    runtime.migrate()
    feed(runtime.subscriber, events)
    return runtime


@pytest.fixture(scope="module")
def reporting(tmp_path_factory: pytest.TempPathFactory, year_events) -> Iterator[ServiceRuntime]:
    runtime = year_runtime(Path(tmp_path_factory.mktemp("reporting")), None, year_events)
    yield runtime
    runtime.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def both_databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, year_events
) -> Iterator[ServiceRuntime]:
    """The scripted year on SQLite, then on PostgreSQL (where the views' SQL must count the
    same: integer division, ``substr``, grouping)."""
    data = Path(tmp_path_factory.mktemp("reporting"))
    if request.param == "sqlite":
        runtime = year_runtime(data, None, year_events)
        yield runtime
        runtime.dispose()
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    name = f"duban_r_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        runtime = year_runtime(data, url, year_events)
        yield runtime
        runtime.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
