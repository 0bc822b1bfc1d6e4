"""Fixtures of the tasks service's tests. Every test that touches a database runs on both
SQLite (the embedded default) and PostgreSQL (a deployment): ``database_url`` and
``module_database_url`` (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.tasks.spec import SPEC
from shared.config import Settings
from shared.service import ServiceRuntime


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
