"""The recorder of PostgreSQL (psycopg): COPY (binary) for many rows, arrays for many
updates, a guarded change as one statement in autocommit, and the frequent single-row reads
and changes of a request run on the driver directly, their SQL compiled once from the same
Core statements (the SQLAlchemy execution layer was half the time of a progress report)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.rows import tuple_row
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Executable,
    Float,
    Integer,
    LargeBinary,
    String,
    Table,
    exc,
    text,
)

from services.tasks.recorders import chain
from services.tasks.recorders.base import GuardedChange, MarkTrigger, Row, update_clauses
from services.tasks.recorders.sql import SqlRecorder
from shared.batches import batch

# The binary COPY format of each column type (a string is the same bytes as text or varchar).
_COPY_TYPES = (
    (JSON, "json"),
    (LargeBinary, "bytea"),
    (Boolean, "bool"),
    (BigInteger, "int8"),
    (Integer, "int4"),
    (Float, "float8"),
    (DateTime, "timestamptz"),
    (Date, "date"),
    (String, "text"),
)


class PostgresRecorder(SqlRecorder):
    def __init__(self) -> None:
        self._chains: dict[tuple[Any, ...], Executable] = {}
        self._sql: dict[int, tuple[Executable, str, Row]] = {}

    @contextmanager
    def direct(self, engine: Engine) -> Iterator[PostgresDirect]:
        with _driver(engine) as raw:
            yield PostgresDirect(self, engine, raw)

    def chain(self, change: GuardedChange) -> tuple[Executable, Row]:
        """The statement of a guarded change of this shape (built once) and its values."""
        key = chain.shape(change)
        statement = self._chains.get(key)
        if statement is None:
            statement = self._chains[key] = chain.build(change)
        return statement, chain.parameters(change, key)

    def insert_many(self, connection: Connection, table: Table, rows: Sequence[Row]) -> None:
        _copy(connection, table, table.name, rows)

    def insert_new(
        self, connection: Connection, table: Table, rows: Sequence[Row], key: str
    ) -> set[Any]:
        """COPY into a staging table, then one INSERT … ON CONFLICT DO NOTHING from it."""
        if not rows:
            return set()
        columns = ", ".join(rows[0])
        staging = f"new_{table.name}"
        connection.execute(text(f"CREATE TEMP TABLE {staging} (LIKE {table.name})"))
        _copy(connection, table, staging, rows)
        inserted = connection.execute(
            text(
                f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {staging}"
                f" ON CONFLICT DO NOTHING RETURNING {key}"
            )
        )
        found = {row[0] for row in inserted.all()}
        connection.execute(text(f"DROP TABLE {staging}"))
        return found

    def update_many(
        self,
        connection: Connection,
        table: Table,
        rows: Sequence[Row],
        where: Sequence[str],
        bump: str | None = None,
    ) -> set[Any]:
        """One statement per 20,000 rows: the new values as arrays, unnested and joined."""
        if not rows:
            return set()
        columns, name = list(rows[0]), table.name
        arrays = ", ".join(
            f"CAST(:{c} AS {table.c[c].type.compile(dialect=connection.dialect)}[])"
            for c in columns
        )
        sets, matched = update_clauses(name, columns, where, bump, "u")
        statement = text(
            f"UPDATE {name} SET {sets} FROM unnest({arrays})"
            f" AS u({', '.join(columns)}) WHERE {matched} RETURNING {name}.{where[0]}"
        )
        updated: set[Any] = set()
        for start in range(0, len(rows), 20_000):
            chunk = rows[start : start + 20_000]
            arrays_of = {c: [row[c] for row in chunk] for c in columns}
            updated.update(connection.execute(statement, arrays_of).scalars())
        return updated

    @contextmanager
    def batch(self, connection: Connection) -> Iterator[None]:
        """The planner's row estimates of a batch's statements are poor: keep it from spending
        its time on JIT compilation, and let sorts and hashes stay in memory."""
        connection.execute(text("SET LOCAL jit = off"))
        connection.execute(text("SET LOCAL work_mem = '64MB'"))
        with batch():
            yield

    def mark_triggers(self, marks: Sequence[MarkTrigger], mark_table: str) -> list[str]:
        ddl = []
        for mark in marks:
            function = f"scan_mark_{mark.table}_fn"
            ddl.append(
                f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{_marked(mark, mark_table)} RETURN NULL; END $$"
            )
            operations = " OR ".join(
                f"UPDATE OF {', '.join(mark.columns)}" if op == "UPDATE" and mark.columns else op
                for op in mark.operations
            )
            # Marking everything needs one row per statement, not per changed row.
            level = "STATEMENT" if mark.task_column is None else "ROW"
            truncate = " OR TRUNCATE" if mark.task_column is None else ""
            ddl.append(
                f"CREATE TRIGGER scan_mark_{mark.table} AFTER {operations}{truncate} "
                f"ON {mark.table} FOR EACH {level} EXECUTE FUNCTION {function}()"
            )
        return ddl

    def drop_mark_triggers(self, marks: Sequence[MarkTrigger]) -> list[str]:
        return [
            statement
            for mark in marks
            for statement in (
                f"DROP TRIGGER IF EXISTS scan_mark_{mark.table} ON {mark.table}",
                f"DROP FUNCTION IF EXISTS scan_mark_{mark.table}_fn()",
            )
        ]

    def compiled(
        self, engine: Engine, statement: Executable, parameters: Row
    ) -> tuple[str, dict[str, Any]]:
        """The SQL of a statement for the driver, compiled once (statements are built once),
        and its parameters: the given ones and the statement's own literals."""
        found = self._sql.get(id(statement))
        if found is None or found[0] is not statement:
            compiled = statement.compile(dialect=engine.dialect)
            if "POSTCOMPILE" in compiled.string:
                raise TypeError("a statement with an expanding IN cannot run on the driver")
            literals = {n: b.effective_value for n, b in compiled.binds.items() if not b.required}
            found = self._sql[id(statement)] = (statement, compiled.string, literals)
        return found[1], {**found[2], **parameters}


class PostgresDirect:
    """One pooled connection's driver connection, in autocommit: no BEGIN and no COMMIT to
    wait for (a read takes no locks, a guarded change is one statement). The driver's errors
    are raised as SQLAlchemy's; a dropped connection (a server restart) renews the pool, as
    SQLAlchemy itself would, and is raised as invalidated: the caller answers 503."""

    def __init__(self, recorder: PostgresRecorder, engine: Engine, raw: Any) -> None:
        self._recorder, self._engine, self._raw = recorder, engine, raw
        self._connection: psycopg.Connection[Any] = raw.driver_connection

    def read(self, statement: Executable, parameters: Row) -> list[Any]:
        sql, values = self._recorder.compiled(self._engine, statement, parameters)
        make = _row_class(statement)._make  # names from the statement, not the driver
        with self._errors(), self._connection.cursor(row_factory=tuple_row) as cursor:
            return [make(row) for row in cursor.execute(sql, values).fetchall()]

    def apply(self, change: GuardedChange) -> bool:
        statement, parameters = self._recorder.chain(change)
        sql, values = self._recorder.compiled(self._engine, statement, parameters)
        with self._errors(), self._connection.cursor() as cursor:
            return cursor.execute(sql, values).fetchone()[0] == 1  # type: ignore[index]

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except psycopg.IntegrityError as error:
            raise exc.IntegrityError(None, None, error) from error
        except psycopg.OperationalError as error:
            broken = self._connection.broken
            if broken:
                self._raw.invalidate()
                self._engine.dispose(close=False)
            raise exc.OperationalError(None, None, error, connection_invalidated=broken) from error


@contextmanager
def _driver(engine: Engine) -> Iterator[Any]:
    """A pooled connection, its driver connection in autocommit for the block."""
    raw = engine.raw_connection()
    connection: psycopg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
    try:
        connection.autocommit = True
        yield raw
    finally:
        if not connection.broken:
            connection.autocommit = False
        raw.close()


@lru_cache(maxsize=64)
def _row_class(statement: Any) -> Any:
    """A named tuple of the statement's columns (the driver's own naming builds a column
    description per query: a tenth of a progress report's time)."""
    return namedtuple("Row", list(statement.selected_columns.keys()))  # type: ignore[misc]


def _copy_type(column: Any) -> str:
    for kind, name in _COPY_TYPES:
        if isinstance(column.type, kind):
            return name
    raise TypeError(f"no COPY type for {column}")


def _copy(connection: Connection, table: Table, target: str, rows: Sequence[Row]) -> None:
    """COPY rows of ``table`` into ``target`` on the connection, in its transaction; in the
    binary format, which carries bytes and dates as they are (half the time of text)."""
    if not rows:
        return
    columns = list(rows[0])
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    statement = f"COPY {target} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with cursor.copy(statement) as copy:
        copy.set_types([_copy_type(table.c[c]) for c in columns])
        for row in rows:
            copy.write_row(tuple(row.values()))


def _marked(mark: MarkTrigger, mark_table: str) -> str:
    """PL/pgSQL marking the task of the changed row (before and after), or everything."""
    into = f"INSERT INTO {mark_table} (task_id) VALUES"
    if mark.task_column is None:
        return f"{into} ('*');"
    new, old = f"NEW.{mark.task_column}", f"OLD.{mark.task_column}"
    return (
        f"IF TG_OP <> 'DELETE' THEN {into} ({new}); END IF; "
        f"IF TG_OP <> 'INSERT' AND (TG_OP = 'DELETE' OR {old} <> {new}) THEN {into} ({old}); "
        "END IF;"
    )
