"""A unit's figure is the percent of its latest report; the task's own figure
(``percent_done``) follows its rule (``rules.task_percent``) over its units' figures. Kept
to it whenever its units change (returned, reassigned, resolved again from the directory,
redefined), and its colour with it; a submission computes the same on what it read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.tasks.lifecycle.models import Assignment, Task
from services.tasks.progress.models import ProgressReport
from services.tasks.progress.rules import UnitFigure, task_percent
from services.tasks.signals.refresh import refresh_signal


def latest_report(column: Any) -> Any:
    """``column`` of the latest report of an assignment's unit on its task (in a query that
    selects from ``assignment``)."""
    return (
        select(column)
        .where(
            ProgressReport.task_id == Assignment.task_id,
            ProgressReport.unit == Assignment.unit,
        )
        .order_by(ProgressReport.submitted_at.desc())
        .limit(1)
        .scalar_subquery()
    )


UNIT_PERCENT = func.coalesce(latest_report(ProgressReport.percent), 0)


def unit_figures(session: Session, task_id: str) -> list[UnitFigure]:
    rows = session.execute(
        select(Assignment.unit, Assignment.role, Assignment.status, UNIT_PERCENT)
        .where(Assignment.task_id == task_id)
        .order_by(Assignment.id)
    )
    return [UnitFigure(*row) for row in rows]


def refresh_figure(session: Session, task: Task) -> None:
    session.flush()
    percent = task_percent(unit_figures(session, task.id))
    if percent != task.percent_done:
        task.percent_done = percent
    refresh_signal(session, task)
