"""A guarded change as one PostgreSQL statement of data-modifying CTEs:
``WITH guard AS (UPDATE … RETURNING …), w0 AS (INSERT … SELECT … FROM guard), w1 AS (UPDATE
… WHERE EXISTS (SELECT 1 FROM guard)) … SELECT count(*) FROM guard``. Atomic by itself and
one round trip; every write depends on the guard, so when the guarded row moved nothing is
written. Built once per shape of change, with JSON values passed as text (cast in SQL)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Executable,
    Text,
    bindparam,
    cast,
    exists,
    func,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.sql.elements import BindParameter

from services.tasks.recorders.base import GuardedChange, Insert, Row, Update


def shape(change: GuardedChange) -> tuple[Any, ...]:
    """What the statement depends on: tables, columns and row counts, never values."""

    def of(write: Insert | Update) -> tuple[Any, ...]:
        _TABLES.setdefault(write.table.name, write.table)
        if isinstance(write, Insert):
            return (write.table.name, len(write.rows), tuple(write.rows[0]))
        return (write.table.name, tuple(write.match), tuple(write.values))

    return tuple(of(write) for write in (change.guard, *change.writes))


def parameters(change: GuardedChange, key: tuple[Any, ...]) -> Row:
    """The values of a change of shape ``key`` under the names ``build`` gives them (JSON
    values as text)."""
    names = _names(key)
    values: list[Any] = [*change.guard.match.values(), *change.guard.values.values()]
    for write in change.writes:
        if isinstance(write, Insert):
            for row in write.rows:
                values += row.values()
        else:
            values += [*write.match.values(), *write.values.values()]
    out = dict(zip(names.all, values, strict=True))
    for name in names.json:
        out[name] = json.dumps(out[name], ensure_ascii=False)
    return out


@dataclass(frozen=True)
class _Names:
    all: tuple[str, ...]  # in the order ``parameters`` lists the values
    json: tuple[str, ...]  # those of JSON columns


_TABLES: dict[str, Any] = {}


@cache
def _names(key: tuple[Any, ...]) -> _Names:
    """The parameter names of a change's shape, worked out once per shape."""
    names: list[str] = []
    jsons: list[str] = []

    def add(table: str, column: str, name: str) -> None:
        names.append(name)
        if column in _json_columns(_TABLES[table]):
            jsons.append(name)

    (guard_table, match, values), *writes = key
    for c in match:
        add(guard_table, c, f"g_{c}")
    for c in values:
        add(guard_table, c, f"gv_{c}")
    for n, (table, first, second) in enumerate(writes):
        if isinstance(first, int):  # an insert: row count, columns
            for i in range(first):
                for c in second:
                    add(table, c, f"w{n}_{i}_{c}")
        else:
            for c in first:
                add(table, c, f"w{n}m_{c}")
            for c in second:
                add(table, c, f"w{n}_{c}")
    return _Names(tuple(names), tuple(jsons))


def build(change: GuardedChange) -> Executable:
    guard = change.guard
    first = guard.table.primary_key.columns.values()[0]
    guarded = (
        update(guard.table)
        .where(*(guard.table.c[c] == _param(guard.table, c, f"g_{c}") for c in guard.match))
        .values({c: _param(guard.table, c, f"gv_{c}") for c in guard.values})
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
                    *(table.c[c] == _param(table, c, f"w{n}m_{c}") for c in write.match),
                    exists(select(1).select_from(guarded)),
                )
                .values({c: _param(table, c, f"w{n}_{c}") for c in write.values})
            )
        else:
            columns = list(write.rows[0])
            rows = [
                select(*(_param(table, c, f"w{n}_{i}_{c}") for c in columns)).select_from(guarded)
                for i in range(len(write.rows))
            ]
            statement = insert(table).from_select(columns, union_all(*rows))
        writes.append(statement.cte(f"w{n}"))
    return select(func.count()).select_from(guarded).add_cte(*writes)


@cache
def _json_columns(table: Any) -> frozenset[str]:
    return frozenset(c.name for c in table.columns if isinstance(c.type, JSON))


def _param(table: Any, column: str, name: str) -> Any:
    """A parameter of the column's type; JSON travels as text and is cast in SQL."""
    if column in _json_columns(table):
        return cast(bindparam(name, type_=Text), JSON)
    return BindParameter(name, type_=table.c[column].type)
