"""The recorder of every database that needs nothing of its own: plain SQLAlchemy Core,
a statement per batch (SQLite, the embedded default, above all)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Executable, Table, insert, update
from sqlalchemy.dialects import sqlite

from services.tasks.recorders.base import (
    GuardedChange,
    Insert,
    MarkTrigger,
    Row,
    Update,
    update_clauses,
)
from shared.batches import batch

# SQLite takes at most 32,766 parameters in one statement (since 3.32).
_VARIABLES = 30_000


class SqlDirect:
    """Each read on a connection of its own, each change in a transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def read(self, statement: Executable, parameters: Row) -> list[Any]:
        with self._engine.connect() as connection:
            return list(connection.execute(statement, parameters).all())

    def apply(self, change: GuardedChange) -> bool:
        with self._engine.begin() as connection:
            if connection.execute(_statement(change.guard)).rowcount != 1:
                connection.rollback()
                return False
            for write in change.writes:
                connection.execute(_statement(write))
        return True


class SqlRecorder:
    @contextmanager
    def direct(self, engine: Engine) -> Iterator[SqlDirect]:
        yield SqlDirect(engine)

    def insert_many(self, connection: Connection, table: Table, rows: Sequence[Row]) -> None:
        """Every row in one ``executemany`` of SQL text, each row giving every column it
        needs (no column defaults are applied: the same as PostgreSQL's COPY)."""
        if not rows:
            return
        columns = list(rows[0])
        names = ", ".join(_quoted(connection, c) for c in columns)
        statement = (
            f"INSERT INTO {_quoted(connection, table.name)} ({names}) "
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        connection.exec_driver_sql(statement, _driver_rows(connection, table, rows))

    def insert_new(
        self, connection: Connection, table: Table, rows: Sequence[Row], key: str
    ) -> set[Any]:
        if not rows:
            return set()
        statement = sqlite.insert(table).on_conflict_do_nothing().returning(table.c[key])
        return set(connection.execute(statement, list(rows)).scalars())

    def update_many(
        self,
        connection: Connection,
        table: Table,
        rows: Sequence[Row],
        where: Sequence[str],
        bump: str | None = None,
    ) -> set[Any]:
        """One ``UPDATE … FROM (VALUES …) RETURNING`` per chunk of rows: the rows still as
        ``where`` says, changed; the keys of those changed. Written as SQL text with its
        values in order (building a VALUES construct of thousands of bound parameters took
        longer than the update itself)."""
        if not rows:
            return set()
        columns = list(rows[0])
        name = _quoted(connection, table.name)
        quoted = [_quoted(connection, c) for c in columns]
        sets, matches = update_clauses(
            name,
            quoted,
            [_quoted(connection, c) for c in where],
            _quoted(connection, bump) if bump else None,
            "given",
        )
        updated: set[Any] = set()
        step = max(1, _VARIABLES // len(columns))
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            one = f"({', '.join('?' * len(columns))})"
            statement = (
                f"WITH given({', '.join(quoted)}) AS "
                f"(VALUES {', '.join([one] * len(chunk))}) "
                f"UPDATE {name} SET {sets} FROM given WHERE {matches} "
                f"RETURNING {name}.{_quoted(connection, where[0])}"
            )
            flat = tuple(v for row in _driver_rows(connection, table, chunk) for v in row)
            updated |= {key for (key,) in connection.exec_driver_sql(statement, flat)}
        return updated

    @contextmanager
    def batch(self, connection: Connection) -> Iterator[None]:
        with batch():
            yield

    def mark_triggers(self, marks: Sequence[MarkTrigger], mark_table: str) -> list[str]:
        ddl = []
        for mark in marks:
            for operation in mark.operations:
                columns = ", ".join(mark.columns)
                of = f" OF {columns}" if operation == "UPDATE" and mark.columns else ""
                inserts = " ".join(
                    f"INSERT INTO {mark_table} (task_id) VALUES ({marked});"
                    for marked in _marked(mark, operation)
                )
                ddl.append(
                    f"CREATE TRIGGER {_trigger(mark, operation)} AFTER {operation}{of} "
                    f"ON {mark.table} FOR EACH ROW BEGIN {inserts} END"
                )
        return ddl

    def drop_mark_triggers(self, marks: Sequence[MarkTrigger]) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {_trigger(mark, operation)}"
            for mark in marks
            for operation in mark.operations
        ]


def _quoted(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def _driver_rows(connection: Connection, table: Table, rows: Sequence[Row]) -> list[tuple]:
    """The rows' values as the driver takes them (dates, JSON… converted by column type;
    only the columns whose type needs it are touched)."""
    columns = list(rows[0])
    dialect = connection.dialect
    convert = [
        (n, f) for n, c in enumerate(columns) if (f := table.c[c].type.bind_processor(dialect))
    ]
    values = [list(row.values()) for row in rows]
    for n, f in convert:
        for row in values:
            row[n] = f(row[n])
    return [tuple(row) for row in values]


def _statement(write: Insert | Update) -> Executable:
    if isinstance(write, Insert):
        return insert(write.table).values(list(write.rows))
    where = (write.table.c[c] == v for c, v in write.match.items())
    return update(write.table).where(*where).values(write.values)


def _trigger(mark: MarkTrigger, operation: str) -> str:
    return f"scan_mark_{mark.table}_{operation.lower()}"


def _marked(mark: MarkTrigger, operation: str) -> list[str]:
    """What one changed row marks: its task before and after the change, or everything."""
    if mark.task_column is None:
        return ["'*'"]
    new, old = f"NEW.{mark.task_column}", f"OLD.{mark.task_column}"
    return {"INSERT": [new], "DELETE": [old], "UPDATE": [new, old]}[operation]
