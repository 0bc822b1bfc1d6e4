"""SQL the sender's hot path shares.

A pass works on hundreds of rows at once. Two things made that slow on PostgreSQL, and
both are about statements with many parameters, which psycopg does not cache and parses
again every time (a regex over the whole statement, in Python):

* ``column IN (:p1, …, :p500)``: on PostgreSQL the list goes as one array parameter
  instead, ``column = ANY(:array)`` (one parameter, a statement psycopg caches);
* an ORM flush of new rows whose ids it must learn renders one ``INSERT … VALUES (…), (…)
  … RETURNING id`` of thousands of parameters; rows whose ids nobody needs are inserted
  with a plain executemany instead (one short statement, sent in a pipeline).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam
from sqlalchemy.orm import InstrumentedAttribute, Session


def among(
    session: Session, column: InstrumentedAttribute[Any], values: Iterable[Any]
) -> ColumnElement[bool]:
    """``column IN values``, as one array parameter on PostgreSQL."""
    listed = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, listed, type_=ARRAY(column.type)))
    return column.in_(listed)
