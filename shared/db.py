"""Database helpers: one engine per service, naming conventions, and the session factory.

Each service owns its data. On SQLite that is a file per service; on PostgreSQL it is a schema
per service in one database (``search_path`` is pinned on every connection), so no service
can read another's tables by accident and each has its own Alembic version table.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, exc, text
from sqlalchemy.dialects.sqlite.base import DATETIME as SQLITE_DATETIME
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import sqltypes

# A connection attempt gives up after this (libpq's connect_timeout, in whole seconds): a
# server that does not answer (a dead host, a partition) costs a request this, not minutes.
CONNECT_TIMEOUT_S = 3
# The longest a request waits for a free pooled connection before it is told to come back.
POOL_TIMEOUT_S = 5

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
    """Build the engine of one service; ``schema`` only matters on PostgreSQL. A statement's
    parameters (names, phone numbers, token hashes) never appear in an error's text, and so
    never in a log or a parked event's error (``hide_parameters``)."""
    if is_sqlite(url):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # Before the first statement: the dialect adapts each column type once, on first use.
        engine.dialect.colspecs = {  # type: ignore[misc]
            **engine.dialect.colspecs,
            sqltypes.DateTime: UtcSqliteDateTime,
        }
        return engine
    # At least as many pooled connections as request threads (anyio's default limiter: 40):
    # with fewer, the overflow connections are opened and closed per request under load,
    # and a PostgreSQL connection costs a process fork and several milliseconds.
    options.setdefault("pool_size", 40)
    options.setdefault("max_overflow", 10)
    # No ping before each checkout: that is a round trip on every transaction. A connection
    # the server dropped fails its statement instead; SQLAlchemy then discards the whole
    # pool, and the request gets a 503 to retry (shared/web.py) rather than a wrong answer.
    # So a restart costs one such request, not one per pooled connection; readiness
    # (``ping``) renews the pool the same way, and retries on the fresh one.
    options.setdefault("pool_pre_ping", False)
    options.setdefault("pool_timeout", POOL_TIMEOUT_S)
    options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S} | options.get(
        "connect_args", {}
    )
    engine = create_engine(url, hide_parameters=True, **options)
    # Listen first: every pooled connection, the very first one included, gets the path.
    event.listen(engine, "connect", _search_path_setter(schema))
    _ensure_schema(engine, schema)
    return engine


class UtcSqliteDateTime(SQLITE_DATETIME):
    """``DateTime(timezone=True)`` on SQLite, which keeps no offset: written in UTC, read back
    as UTC, so a timestamp reads the same (``…+00:00``) on SQLite as on PostgreSQL and
    compares with an aware ``now``. Columns without ``timezone=True`` are left as they are."""

    def bind_processor(self, dialect: Any) -> Any:
        process = super().bind_processor(dialect)
        if not self.timezone:
            return process

        def to_utc(value: Any) -> Any:
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return process(value) if process else value

        return to_utc

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        process = super().result_processor(dialect, coltype)
        if not self.timezone:
            return process

        def as_utc(value: Any) -> Any:
            value = process(value) if process else value
            if isinstance(value, datetime) and value.tzinfo is None:
                return value.replace(tzinfo=UTC)
            return value

        return as_utc


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
    """Raise unless the database answers. A connection the server dropped (a restart) is
    tried once more: its failure has renewed the pool, and the database may well be up."""
    for attempt in (1, 2):
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return
        except exc.DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise


class Outage(enum.Enum):
    """Why a request could not reach its database, when that is why it failed."""

    LOST = "lost"  # the connection in hand broke (a restart, a failover): the pool is renewed
    UNREACHABLE = "unreachable"  # no connection could be made: down, starting, refusing
    BUSY = "busy"  # no pooled connection came free in time, or SQLite stayed locked


# SQLSTATE classes and codes of a server that cannot take us: connection exceptions (08),
# insufficient resources (53, e.g. too many connections), and shutting down or starting up.
_UNREACHABLE_CLASSES = ("08", "53")
_UNREACHABLE_CODES = ("57P01", "57P02", "57P03")


def outage_of(error: BaseException) -> Outage | None:
    """The outage behind a failure, or None for a real fault (a bad statement, a violated
    constraint, a bug). Follows the chain Python prints (``raise … from``, or raised while
    handling), so a failure that code caught and raised as something else is still seen
    for what it is. Knows SQLAlchemy's errors and the raw errors of psycopg and sqlite3,
    which code on the driver directly (``engine.raw_connection()``) meets unwrapped."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = _outage_of_one(current)
        if found is not None:
            return found
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return None


def _outage_of_one(error: BaseException) -> Outage | None:
    if isinstance(error, exc.TimeoutError):  # the pool's own: no connection came free
        return Outage.BUSY
    if isinstance(error, exc.DisconnectionError):
        return Outage.LOST
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return Outage.LOST
        return _driver_outage(error.orig) if error.orig is not None else None
    return _driver_outage(error)


def _driver_outage(error: BaseException) -> Outage | None:
    if isinstance(error, sqlite3.OperationalError):
        message = str(error)
        if "locked" in message:
            return Outage.BUSY
        return Outage.UNREACHABLE if message.startswith("unable to open") else None
    if not type(error).__module__.startswith("psycopg"):
        return None
    import psycopg  # loaded already: the error is one of its own

    if isinstance(error, psycopg.InterfaceError):  # "the connection is closed"
        return Outage.LOST
    if isinstance(error, psycopg.OperationalError):
        state = error.sqlstate
        # No SQLSTATE: the client's own failure to connect or to stay connected.
        if state is None or state[:2] in _UNREACHABLE_CLASSES or state in _UNREACHABLE_CODES:
            return Outage.UNREACHABLE
    return None
