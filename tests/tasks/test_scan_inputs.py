"""The deadline scan's inputs are declared once (``reminders.inputs.SCAN_INPUTS``): the scan
reads nothing else, the database carries exactly the triggers the declaration generates, and
every change the declaration names leaves the mark it should. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
import re

from scan_world import MUTATIONS, expected_mutations, reset, scan_reads, seed
from sqlalchemy import delete, inspect, select, text

from services.tasks.recorders import recorder_for
from services.tasks.reminders.inputs import EVERYTHING, MARK_TABLE, NOT_INPUTS, SCAN_INPUTS
from services.tasks.reminders.models import ScanMark
from services.tasks.spec import SPEC
from shared.service import ServiceRuntime


def declared() -> set[tuple[str, str]]:
    """Every (table, column) a change of which the declaration marks."""
    tables = SPEC.metadata.tables
    out: set[tuple[str, str]] = set()
    for mark in SCAN_INPUTS:
        columns = mark.columns or tuple(c.name for c in tables[mark.table].columns)
        out |= {(mark.table, c) for c in columns}
    return out


def test_the_scan_reads_nothing_it_does_not_declare() -> None:
    undeclared = scan_reads() - declared() - NOT_INPUTS
    assert undeclared == set(), f"read by the scan but no input: {sorted(undeclared)}"


def test_what_a_declaration_lists_is_read() -> None:
    listed = {(m.table, c) for m in SCAN_INPUTS for c in m.columns}
    assert listed - scan_reads() == set(), "a declared column the scan no longer reads"


def test_every_declared_input_has_a_mutation_in_the_tests() -> None:
    assert set(MUTATIONS) == expected_mutations()


def _triggers(runtime: ServiceRuntime) -> set[str]:
    with runtime.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        return set(conn.execute(text(query)).scalars())


def test_the_database_has_the_triggers_the_declaration_generates(
    tasks_service: ServiceRuntime,
) -> None:
    ddl = recorder_for(tasks_service.engine).mark_triggers(SCAN_INPUTS, MARK_TABLE)
    generated = {re.search(r"CREATE TRIGGER (\w+)", d).group(1) for d in ddl if "TRIGGER" in d}
    assert generated and _triggers(tasks_service) == generated
    assert "scan_mark" in inspect(tasks_service.engine).get_table_names()


def test_each_declared_change_leaves_its_mark(tasks_service: ServiceRuntime) -> None:
    """Every mutation the declaration calls for, made through the ORM as the service makes
    its changes, marks the task it concerns (or everything)."""
    everything = {m.table for m in SCAN_INPUTS if m.task_column is None}
    for (table, change), mutate in sorted(MUTATIONS.items()):
        with tasks_service.sessions.begin() as session:
            reset(session)
            seed(session)
        with tasks_service.sessions.begin() as session:
            session.execute(delete(ScanMark))
        for attempt in range(20):  # some mutations find nothing to change on a draw
            with tasks_service.sessions.begin() as session:
                mutate(session, random.Random(attempt))
            with tasks_service.sessions() as session:
                marks = set(session.scalars(select(ScanMark.task_id)))
            if marks:
                break
        assert marks, f"{table} {change} left no mark"
        if table in everything:
            assert EVERYTHING in marks, f"{table} {change} should mark everything"
        else:
            assert EVERYTHING not in marks and all(m.startswith("t") for m in marks), (
                table,
                change,
                marks,
            )
