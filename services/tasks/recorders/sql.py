"""The recorder of every database that needs nothing of its own: plain SQLAlchemy Core,
statement by statement (SQLite, the embedded default, above all)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Executable, Table, bindparam, insert, update
from sqlalchemy.dialects import sqlite

from services.tasks.recorders.base import GuardedChange, Insert, MarkTrigger, Row, Update
from shared.batches import batch


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
        if rows:
            connection.execute(insert(table), list(rows))

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
        if not rows:
            return set()
        values: dict[str, Any] = {c: bindparam(f"_{c}") for c in rows[0] if c not in where}
        if bump:
            values[bump] = table.c[bump] + 1
        picked = (table.c[c] == bindparam(f"_{c}") for c in where)
        statement = update(table).where(*picked).values(values)
        updated = set()
        for row in rows:  # one by one: SQLite is the small, embedded case
            parameters = {f"_{c}": v for c, v in row.items()}
            if connection.execute(statement, parameters).rowcount:
                updated.add(row[where[0]])
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
