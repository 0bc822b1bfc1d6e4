"""Keeping a task's own figure (``percent_done``) to its rule whenever its units change
(returned, reassigned, resolved again from the directory, redefined), and its colour with
it. A submission computes the same rule on what it read (``progress.submission``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks.lifecycle.models import Assignment, Task
from services.tasks.progress.rules import UnitFigure, task_percent
from services.tasks.signals.refresh import refresh_signal


def unit_figures(session: Session, task_id: str) -> list[UnitFigure]:
    rows = session.execute(
        select(Assignment.unit, Assignment.role, Assignment.status, Assignment.percent)
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
