"""Where SQLite and PostgreSQL must differ, and nowhere else: one small recorder class per
database behind one interface (as the eventsourcing library keeps a recorder per backend).
Domain code asks ``recorder_for(bind)`` and never which database it is on.

What differs is how rows get written, never what is decided: many rows at once (COPY on
PostgreSQL), a guarded change of several tables (one statement and one round trip on
PostgreSQL, a transaction elsewhere), and the triggers that mark what the deadline scan must
look at again (PL/pgSQL or SQLite triggers, generated from one declaration).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Executable,
    Table,
    bindparam,
    exists,
    func,
    insert,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

Row = dict[str, Any]


@dataclass(frozen=True)
class Insert:
    """Rows to insert (dicts with the same keys)."""

    table: Table
    rows: Sequence[Row]


@dataclass(frozen=True)
class Update:
    """The rows whose columns equal ``match``, set to ``values``."""

    table: Table
    match: Row
    values: Row


@dataclass(frozen=True)
class GuardedChange:
    """An update that must change exactly one row (``guard``: typically a row's id and the
    version read) and the writes that go with it: all of them, or none when the row moved
    since it was read."""

    guard: Update
    writes: Sequence[Insert | Update] = ()


@dataclass(frozen=True)
class MarkTrigger:
    """When rows of ``table`` change (any change, or an update of ``columns`` only), mark the
    task in ``task_column`` (``None``: mark everything, "*")."""

    table: str
    task_column: str | None
    columns: tuple[str, ...] = ()
    deletes_only: bool = False


class Recorder(Protocol):
    def insert_many(self, connection: Connection, table: Table, rows: Sequence[Row]) -> None:
        """Insert many rows (dicts with the same keys) in the connection's transaction."""

    def insert_new(
        self, connection: Connection, table: Table, rows: Sequence[Row], key: str
    ) -> set[Any]:
        """Insert the rows whose ``key`` is not taken yet; returns the keys inserted."""

    def update_many(
        self,
        connection: Connection,
        table: Table,
        rows: Sequence[Row],
        where: Sequence[str],
        bump: str | None = None,
    ) -> set[Any]:
        """Update the row each dict picks by its ``where`` columns to the dict's other values
        (and ``bump`` + 1); returns the first ``where`` value of each row updated (a row
        that no longer matches, e.g. its version moved, is left alone)."""

    def apply(self, engine: Engine, change: GuardedChange) -> bool:
        """Make the change atomically; False (nothing written) when the guard held no row."""

    def mark_triggers(self, marks: Sequence[MarkTrigger], mark_table: str) -> list[str]:
        """DDL of the triggers that append to ``mark_table``."""

    def drop_mark_triggers(self, marks: Sequence[MarkTrigger]) -> list[str]: ...


def _equal(table: Table, match: Row, name: Callable[[str], str]) -> list[Any]:
    return [table.c[column] == bindparam(name(column)) for column in match]


class SqlRecorder:
    """Plain SQLAlchemy Core, statement by statement: right on every database (SQLite, the
    embedded default, above all)."""

    chunk = 500  # rows per multi-row statement

    def insert_many(self, connection: Connection, table: Table, rows: Sequence[Row]) -> None:
        if rows:
            connection.execute(insert(table), list(rows))

    def insert_new(
        self, connection: Connection, table: Table, rows: Sequence[Row], key: str
    ) -> set[Any]:
        statement = self._insert(table).on_conflict_do_nothing().returning(table.c[key])
        inserted: set[Any] = set()
        for start in range(0, len(rows), self.chunk):
            chunk = list(rows[start : start + self.chunk])
            inserted.update(connection.execute(statement.values(chunk)).scalars())
        return inserted

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
        statement = (
            update(table).where(*_equal(table, dict.fromkeys(where), lambda c: f"_{c}"))
        ).values(values)
        updated = set()
        for row in rows:  # one by one: SQLite is the small, embedded case
            parameters = {f"_{c}": v for c, v in row.items()}
            if connection.execute(statement, parameters).rowcount:
                updated.add(row[where[0]])
        return updated

    def apply(self, engine: Engine, change: GuardedChange) -> bool:
        with engine.begin() as connection:
            if connection.execute(self._statement(change.guard)).rowcount != 1:
                connection.rollback()
                return False
            for write in change.writes:
                connection.execute(self._statement(write))
        return True

    @staticmethod
    def _statement(write: Insert | Update) -> Executable:
        if isinstance(write, Insert):
            return insert(write.table).values(list(write.rows))
        where = (write.table.c[c] == v for c, v in write.match.items())
        return update(write.table).where(*where).values(write.values)

    @staticmethod
    def _insert(table: Table) -> Any:
        return sqlite.insert(table)

    def mark_triggers(self, marks: Sequence[MarkTrigger], mark_table: str) -> list[str]:
        ddl = []
        for mark in marks:
            for operation in _operations(mark):
                rows = _marked_rows(mark, operation)
                of = (
                    f" OF {', '.join(mark.columns)}"
                    if operation == "UPDATE" and mark.columns
                    else ""
                )
                inserts = " ".join(
                    f"INSERT INTO {mark_table} (task_id) VALUES ({r});" for r in rows
                )
                ddl.append(
                    f"CREATE TRIGGER {_trigger_name(mark, operation)} AFTER {operation}{of} "
                    f"ON {mark.table} FOR EACH ROW BEGIN {inserts} END"
                )
        return ddl

    def drop_mark_triggers(self, marks: Sequence[MarkTrigger]) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {_trigger_name(mark, operation)}"
            for mark in marks
            for operation in _operations(mark)
        ]


def _operations(mark: MarkTrigger) -> tuple[str, ...]:
    return ("DELETE",) if mark.deletes_only else ("INSERT", "UPDATE", "DELETE")


def _trigger_name(mark: MarkTrigger, operation: str) -> str:
    return f"scan_mark_{mark.table}_{operation.lower()}"


def _marked_rows(mark: MarkTrigger, operation: str) -> list[str]:
    """What one changed row marks: its task before and after the change, or everything."""
    if mark.task_column is None:
        return ["'*'"]
    new, old = f"NEW.{mark.task_column}", f"OLD.{mark.task_column}"
    return {"INSERT": [new], "DELETE": [old], "UPDATE": [new, old]}[operation]


class PostgresRecorder(SqlRecorder):
    """PostgreSQL (psycopg): COPY for many rows, arrays for many updates, a guarded change as
    one statement of data-modifying CTEs in autocommit (one round trip, atomic)."""

    def __init__(self) -> None:
        self._chains: dict[tuple[Any, ...], Executable] = {}

    def insert_many(self, connection: Connection, table: Table, rows: Sequence[Row]) -> None:
        if not rows:
            return
        columns = list(rows[0])
        encoded = [isinstance(table.c[name].type, JSON) for name in columns]
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(v, ensure_ascii=False) if is_json else v
                        for v, is_json in zip(row.values(), encoded, strict=True)
                    ]
                )

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
        dialect = connection.dialect
        arrays = ", ".join(
            f"CAST(:{c} AS {table.c[c].type.compile(dialect=dialect)}[])" for c in columns
        )
        sets = [f"{c} = u.{c}" for c in columns if c not in where]
        sets += [f"{bump} = {name}.{bump} + 1"] if bump else []
        matched = " AND ".join(f"{name}.{c} = u.{c}" for c in where)
        statement = text(
            f"UPDATE {name} SET {', '.join(sets)} FROM unnest({arrays}) AS u({', '.join(columns)})"
            f" WHERE {matched} RETURNING {name}.{where[0]}"
        )
        updated: set[Any] = set()
        for start in range(0, len(rows), 20_000):
            chunk = rows[start : start + 20_000]
            parameters = {c: [row[c] for row in chunk] for c in columns}
            updated.update(connection.execute(statement, parameters).scalars())
        return updated

    def apply(self, engine: Engine, change: GuardedChange) -> bool:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            result = connection.execute(self._chain(change), _chain_parameters(change))
            return result.scalar_one() == 1

    def _chain(self, change: GuardedChange) -> Executable:
        """The statement for changes of this shape, built once: ``WITH guard AS (UPDATE …
        RETURNING …), w0 AS (INSERT … SELECT … FROM guard), w1 AS (UPDATE … WHERE EXISTS
        (SELECT 1 FROM guard)) … SELECT count(*) FROM guard``."""
        shape = tuple(map(_shape, (change.guard, *change.writes)))
        found = self._chains.get(shape)
        if found is None:
            found = self._chains[shape] = _build_chain(change)
        return found

    @staticmethod
    def _insert(table: Table) -> Any:
        return postgresql.insert(table)

    def mark_triggers(self, marks: Sequence[MarkTrigger], mark_table: str) -> list[str]:
        ddl = []
        for mark in marks:
            function = f"scan_mark_{mark.table}_fn"
            rows = _pg_marked_rows(mark, mark_table)
            ddl.append(
                f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{rows} RETURN NULL; END $$"
            )
            operations = " OR ".join(
                f"UPDATE OF {', '.join(mark.columns)}" if op == "UPDATE" and mark.columns else op
                for op in _operations(mark)
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


def _pg_marked_rows(mark: MarkTrigger, mark_table: str) -> str:
    into = f"INSERT INTO {mark_table} (task_id) VALUES"
    if mark.task_column is None:
        return f"{into} ('*');"
    new, old = f"NEW.{mark.task_column}", f"OLD.{mark.task_column}"
    return (
        f"IF TG_OP <> 'DELETE' THEN {into} ({new}); END IF; "
        f"IF TG_OP <> 'INSERT' AND (TG_OP = 'DELETE' OR {old} <> {new}) THEN {into} ({old}); "
        "END IF;"
    )


def _shape(write: Insert | Update) -> tuple[Any, ...]:
    if isinstance(write, Insert):
        return (write.table.name, len(write.rows), tuple(write.rows[0]))
    return (write.table.name, tuple(write.match), tuple(write.values))


def _chain_parameters(change: GuardedChange) -> Row:
    guard = change.guard
    parameters = {f"g_{c}": v for c, v in guard.match.items()}
    parameters |= {f"gv_{c}": v for c, v in guard.values.items()}
    for n, write in enumerate(change.writes):
        if isinstance(write, Insert):
            for i, row in enumerate(write.rows):
                parameters |= {f"w{n}_{i}_{c}": v for c, v in row.items()}
        else:
            parameters |= {f"w{n}m_{c}": v for c, v in write.match.items()}
            parameters |= {f"w{n}_{c}": v for c, v in write.values.items()}
    return parameters


def _build_chain(change: GuardedChange) -> Executable:
    guard = change.guard
    first = guard.table.primary_key.columns.values()[0]
    guarded = (
        update(guard.table)
        .where(*_equal(guard.table, guard.match, lambda c: f"g_{c}"))
        .values({c: bindparam(f"gv_{c}") for c in guard.values})
        .returning(first)
        .cte("guard")
    )
    writes = []
    for n, write in enumerate(change.writes):
        table = write.table
        if isinstance(write, Update):
            statement: Any = (
                update(table)
                .where(
                    *_equal(table, write.match, lambda c, n=n: f"w{n}m_{c}"),
                    exists(select(1).select_from(guarded)),
                )
                .values({c: bindparam(f"w{n}_{c}") for c in write.values})
            )
        else:
            columns = list(write.rows[0])
            rows = [
                select(
                    *(bindparam(f"w{n}_{i}_{c}", type_=table.c[c].type) for c in columns)
                ).select_from(guarded)
                for i in range(len(write.rows))
            ]
            statement = insert(table).from_select(columns, union_all(*rows))
        writes.append(statement.cte(f"w{n}"))
    return select(func.count()).select_from(guarded).add_cte(*writes)


_RECORDERS: Mapping[str, Recorder] = {"postgresql": PostgresRecorder()}
_DEFAULT = SqlRecorder()


def recorder_for(bind: Engine | Connection | Any) -> Recorder:
    """The recorder of the database behind an engine, a connection or a session."""
    dialect = bind.get_bind().dialect if hasattr(bind, "get_bind") else bind.dialect
    return _RECORDERS.get(dialect.name, _DEFAULT)
