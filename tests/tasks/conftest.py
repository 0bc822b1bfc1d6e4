"""Fixtures of the tasks service's tests. Every test that touches a database runs on both:
SQLite (the embedded default) and PostgreSQL (a deployment), the same test, parametrised."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.tasks.spec import SPEC
from shared.config import Settings
from shared.service import ServiceRuntime


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None: a SQLite file under the test's data directory."""
    return request.getfixturevalue("pg_url") if request.param == "postgresql" else None


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The same, for a world built once per test module: a database of its own."""
    if request.param == "sqlite":
        yield None
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    name = f"duban_m_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def tasks_settings(tmp_path: Path, database_url: str | None) -> Settings:
    """Settings of a deployment on that database (with the in-process bus)."""
    return Settings(data_dir=tmp_path / "var", topic_prefix="tasks", database_url=database_url)


def tasks_runtime(data_dir: Path, database_url: str | None) -> ServiceRuntime:
    """The tasks service alone, migrated, with no bus (events wait in its outbox)."""
    settings = Settings(data_dir=data_dir, topic_prefix="tasks", database_url=database_url)
    runtime = ServiceRuntime(SPEC, settings, bus=None)  # type: ignore[arg-type]
    runtime.migrate()
    return runtime


@pytest.fixture
def tasks_service(tmp_path: Path, database_url: str | None) -> Iterator[ServiceRuntime]:
    runtime = tasks_runtime(tmp_path, database_url)
    yield runtime
    runtime.dispose()
