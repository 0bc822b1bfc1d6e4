"""tasks: each unit's latest figure, a task's start and version, indicators by number, the
notice's date, and the scan's marks on every database

* ``task.percent_done`` becomes the task's figure by its rule (``progress.rules
  .task_percent`` over each unit's latest report), no longer the highest figure any unit
  ever reported.
* ``task.started_on``: when 序时进度 starts (``signals.rules.work_started``); ``task.version``:
  moved on by every write of the row, so a decision made on what was read is written only if
  the row is still as read; ``task.units_as_printed``: the units as the notice printed them,
  which a directory change resolves again.
* ``indicator.number``: an indicator's place among its task's targets.
* ``document.issued_date``: the notice's 成文日期.
* ``scan_state.fingerprint``: the rules a scan ran under.
* The triggers that mark what the deadline scan must look at again are generated from the
  scan's inputs (``reminders.inputs.SCAN_INPUTS``) for the database at hand: PostgreSQL's
  replace those of tasks_0005, and SQLite gets them too (the scan is incremental there now).

Revision ID: tasks_0006
Revises: tasks_0005
Create Date: 2026-12-01
"""

import importlib.util
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from services.tasks.lifecycle.models import Assignment
from services.tasks.progress.figure import UNIT_PERCENT
from services.tasks.progress.rules import UnitFigure, task_percent
from services.tasks.recorders import recorder_for
from services.tasks.reminders.inputs import MARK_TABLE, SCAN_INPUTS
from services.tasks.signals.rules import work_started

revision = "tasks_0006"
down_revision = "tasks_0005"
branch_labels = None
depends_on = None


def _previous():  # type: ignore[no-untyped-def]
    """tasks_0005, whose PostgreSQL triggers a downgrade puts back."""
    path = Path(__file__).with_name("0005_scan_indexes.py")
    spec = importlib.util.spec_from_file_location("tasks_0005", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def upgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.add_column(
            sa.Column("units_as_printed", sa.JSON(), server_default="{}", nullable=False)
        )
        batch.add_column(sa.Column("started_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("indicator") as batch:
        batch.add_column(sa.Column("number", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("issued_date", sa.Date(), nullable=True))
    with op.batch_alter_table("scan_state") as batch:
        batch.add_column(
            sa.Column("fingerprint", sa.String(length=64), server_default="", nullable=False)
        )
    _fill()
    recorder = recorder_for(op.get_bind())
    if op.get_bind().dialect.name == "postgresql":
        previous = _previous()
        for name, definition in previous.TRIGGERS.items():
            op.execute(f"DROP TRIGGER {name} ON {definition.split(' ON ')[1].split()[0]}")
        for function in ("scan_mark_task_of_row", "scan_mark_task", "scan_mark_everything"):
            op.execute(f"DROP FUNCTION {function}()")
    for statement in recorder.mark_triggers(SCAN_INPUTS, MARK_TABLE):
        op.execute(statement)
    op.execute(f"INSERT INTO {MARK_TABLE} (task_id) VALUES ('*')")  # look at everything once


def _fill() -> None:
    """Each task's figure by its rule, its start, its printed units; each indicator's
    number."""
    bind = op.get_bind()
    units: dict[str, list[tuple[str, str, str | None, str, int]]] = {}
    for task_id, unit, role, via_group, status, percent in bind.execute(
        sa.select(
            Assignment.task_id,
            Assignment.unit,
            Assignment.role,
            Assignment.via_group,
            Assignment.status,
            UNIT_PERCENT,
        ).order_by(Assignment.id)
    ):
        units.setdefault(task_id, []).append((unit, role, via_group, status, percent))
    tasks = bind.execute(
        sa.text("SELECT id, year, created_at FROM task").columns(created_at=sa.DateTime())
    ).all()
    for task_id, year, created_at in tasks:
        mine = units.get(task_id, [])
        printed: dict[str, list[str]] = {}
        for unit, role, via_group, _, _ in mine:
            names = printed.setdefault(role, [])
            if (via_group or unit) not in names:
                names.append(via_group or unit)
        registered = created_at.date() if created_at else date.today()
        figures = [UnitFigure(u, r, s, p) for u, r, _, s, p in mine]
        bind.execute(
            sa.text(
                "UPDATE task SET units_as_printed = :printed, started_on = :started,"
                " percent_done = :percent WHERE id = :id"
            ).bindparams(sa.bindparam("printed", type_=sa.JSON())),
            {
                "printed": printed,
                "started": work_started(year or registered.year, None, registered),
                "percent": task_percent(figures),
                "id": task_id,
            },
        )
    rows = bind.execute(sa.text("SELECT id, task_id FROM indicator ORDER BY task_id, id")).all()
    numbers: dict[str, int] = {}
    for indicator_id, task_id in rows:
        numbers[task_id] = numbers.get(task_id, 0) + 1
        bind.execute(
            sa.text("UPDATE indicator SET number = :n WHERE id = :id"),
            {"n": numbers[task_id], "id": indicator_id},
        )


def downgrade() -> None:
    recorder = recorder_for(op.get_bind())
    for statement in recorder.drop_mark_triggers(SCAN_INPUTS):
        op.execute(statement)
    if op.get_bind().dialect.name == "postgresql":
        previous = _previous()
        op.execute(previous.FUNCTIONS)
        for name, definition in previous.TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {definition}")
    with op.batch_alter_table("scan_state") as batch:
        batch.drop_column("fingerprint")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("issued_date")
    with op.batch_alter_table("indicator") as batch:
        batch.drop_column("number")
    with op.batch_alter_table("task") as batch:
        batch.drop_column("version")
        batch.drop_column("started_on")
        batch.drop_column("units_as_printed")
