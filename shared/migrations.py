"""Alembic, driven from code: each service has its own migrations folder and its own version
table (``alembic_version_<service>``), in its own SQLite file or PostgreSQL schema.

``duban migrate`` and the runtime call ``upgrade``; each service's ``env.py`` calls
``run_env``. The ``alembic`` command works too (``alembic -n intake upgrade head``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, Engine, MetaData

from shared.config import Settings
from shared.db import is_sqlite, make_engine


def version_table(service: str) -> str:
    return f"alembic_version_{service}"


def _config(service: str, migrations_dir: Path, connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["connection"] = connection
    config.attributes["service"] = service
    return config


def upgrade(engine: Engine, service: str, migrations_dir: Path, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(_config(service, migrations_dir, connection), revision)


def downgrade(engine: Engine, service: str, migrations_dir: Path, revision: str = "base") -> None:
    with engine.begin() as connection:
        command.downgrade(_config(service, migrations_dir, connection), revision)


def run_env(metadata: MetaData, service: str) -> None:
    """Body of every service's env.py (online mode only: we always have a database)."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection, metadata, service)
        return
    url = Settings().service_database_url(service)
    with make_engine(url, service).begin() as connection:
        _run(connection, metadata, service)


def _run(connection: Connection, metadata: MetaData, service: str) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=version_table(service),
        render_as_batch=is_sqlite(str(connection.engine.url)),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
