"""Every service's migrations run up and down on SQLite and on PostgreSQL, and the tables they
build are the tables the models declare."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from duban.services import SERVICE_NAMES, load_spec
from shared.db import make_engine
from shared.migrations import downgrade, upgrade, version_table


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.db'}"
    return request.getfixturevalue("pg_url")


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_migrations_run_up_and_down(service: str, database_url: str) -> None:
    spec = load_spec(service)
    engine = make_engine(database_url, service)
    try:
        upgrade(engine, service, spec.migrations_dir)
        tables = set(inspect(engine).get_table_names())
        assert {"outbox", "inbox", version_table(service)} <= tables
        assert set(spec.metadata.tables) <= tables
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"version_table": version_table(service), "compare_type": True}
            )
            drift = compare_metadata(context, spec.metadata)
        assert drift == [], f"models and migrations of {service} differ: {drift}"

        downgrade(engine, service, spec.migrations_dir)
        assert set(inspect(engine).get_table_names()) == {version_table(service)}

        upgrade(engine, service, spec.migrations_dir)  # and up again, from base
        assert set(spec.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_each_service_keeps_its_tables_in_its_own_schema(pg_url: str) -> None:
    engines = {}
    try:
        for service in SERVICE_NAMES:
            spec = load_spec(service)
            engines[service] = make_engine(pg_url, service)
            upgrade(engines[service], service, spec.migrations_dir)
        inspector = inspect(engines["intake"])
        for service in SERVICE_NAMES:
            own = set(inspector.get_table_names(schema=service))
            assert set(load_spec(service).metadata.tables) <= own
            assert version_table(service) in own
        assert "task" not in inspector.get_table_names(schema="intake")
    finally:
        for engine in engines.values():
            engine.dispose()
