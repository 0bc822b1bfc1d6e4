"""The recorder interface and the writes it is given."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Executable, Table

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

    @property
    def operations(self) -> tuple[str, ...]:
        return ("DELETE",) if self.deletes_only else ("INSERT", "UPDATE", "DELETE")


class Direct(Protocol):
    """Reads and guarded changes outside the ORM, for a request's hot path."""

    def read(self, statement: Executable, parameters: Row) -> list[Any]:
        """The rows of one query, outside any transaction (each names its columns)."""

    def apply(self, change: GuardedChange) -> bool:
        """Make the change atomically; False (nothing written) when the guard held no row."""


class Recorder(Protocol):
    def direct(self, engine: Engine) -> AbstractContextManager[Direct]:
        """A connection for ``Direct`` reads and changes, held for the block."""

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

    def batch(self, connection: Connection) -> AbstractContextManager[None]:
        """Around a batch (a scan, a refresh) of large set-based statements."""

    def mark_triggers(self, marks: Sequence[MarkTrigger], mark_table: str) -> list[str]:
        """DDL of the triggers that append to ``mark_table``."""

    def drop_mark_triggers(self, marks: Sequence[MarkTrigger]) -> list[str]: ...


def update_clauses(
    table: str, columns: Sequence[str], where: Sequence[str], bump: str | None, source: str
) -> tuple[str, str]:
    """The SET list and the match condition of ``update_many`` from the rows of ``source``
    (an alias of the new values), names as the database takes them."""
    sets = [f"{c} = {source}.{c}" for c in columns if c not in where]
    sets += [f"{bump} = {table}.{bump} + 1"] if bump else []
    matched = " AND ".join(f"{table}.{c} = {source}.{c}" for c in where)
    return ", ".join(sets), matched
