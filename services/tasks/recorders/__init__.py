"""Where SQLite and PostgreSQL must differ, and nowhere else: one small recorder class per
database behind one interface (as the eventsourcing library keeps a recorder per backend).
Domain code asks ``recorder_for(bind)`` and never which database it is on.

What differs is how rows are read and written, never what is decided: many rows at once
(COPY on PostgreSQL), a guarded change of several tables (one statement and one round trip
on PostgreSQL, a transaction elsewhere), and the triggers that mark what the deadline scan
must look at again (PL/pgSQL or SQLite triggers, generated from one declaration).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.tasks.recorders.base import GuardedChange, Insert, MarkTrigger, Recorder, Update
from services.tasks.recorders.postgres import PostgresRecorder
from services.tasks.recorders.sql import SqlRecorder

_RECORDERS: Mapping[str, Recorder] = {"postgresql": PostgresRecorder()}
_DEFAULT = SqlRecorder()


def recorder_for(bind: Any) -> Recorder:
    """The recorder of the database behind an engine, a connection or a session."""
    dialect = bind.get_bind().dialect if hasattr(bind, "get_bind") else bind.dialect
    return _RECORDERS.get(dialect.name, _DEFAULT)


__all__ = ["GuardedChange", "Insert", "MarkTrigger", "Recorder", "Update", "recorder_for"]
