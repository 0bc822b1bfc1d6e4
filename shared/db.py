"""Database helpers: one engine per service, naming conventions, and the session factory.

Each service owns its data. On SQLite that is a file per service; on PostgreSQL it is a schema
per service in one database (``search_path`` is pinned on every connection), so no service
can read another's tables by accident and each has its own Alembic version table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, schema: str, **options: Any) -> Engine:
    """Build the engine of one service; ``schema`` only matters on PostgreSQL."""
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # At least as many pooled connections as request threads (anyio's default limiter: 40):
    # with fewer, the overflow connections are opened and closed per request under load,
    # and a PostgreSQL connection costs a process fork and several milliseconds.
    options.setdefault("pool_size", 40)
    options.setdefault("max_overflow", 10)
    # No ping before each checkout: that is a round trip on every transaction. A connection
    # the server dropped fails its statement instead; SQLAlchemy then discards the whole
    # pool, and the request gets a 503 to retry (shared/web.py) rather than a wrong answer.
    options.setdefault("pool_pre_ping", False)
    engine = create_engine(url, **options)
    # Listen first: every pooled connection, the very first one included, gets the path.
    event.listen(engine, "connect", _search_path_setter(schema))
    _ensure_schema(engine, schema)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the relay and consumers read while an API request writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _search_path_setter(schema: str) -> Callable[[Any, Any], None]:
    def set_search_path(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f'SET search_path TO "{schema}"')
        cursor.close()
        dbapi_connection.commit()

    return set_search_path


def _ensure_schema(engine: Engine, schema: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
