"""The tasks service's word on a task it registered (``task.registered``), and reading a
task's rows for it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks.lifecycle.models import Assignment, AssignmentRole, Milestone, Task
from shared.contracts.tasks import TaskRegisteredV1
from shared.messaging.outbox import add_event


def announce_registered(session: Session, task: Task) -> None:
    """``task.registered``: the task as notify and reporting follow it, units included."""
    session.flush()
    assignments = task_assignments(session, task.id)
    add_event(
        session,
        TaskRegisteredV1(
            task_id=task.id,
            document_id=task.document_id,
            number=task.number,
            text=task.text,
            units=list(dict.fromkeys(a.unit for a in assignments)),
            status=task.status,
            government_id=task.government_id,
            section=task.section,
            leaders=task.leaders,
            lead_units=[a.unit for a in assignments if a.role == AssignmentRole.LEAD],
            due_dates=[m.due_date for m in task_milestones(session, task.id) if m.due_date],
            revision=task.revision,
            responsible_units=[a.unit for a in assignments if a.role == AssignmentRole.RESPONSIBLE],
            cooperating_units=[a.unit for a in assignments if a.role == AssignmentRole.COOPERATING],
        ),
    )


def task_assignments(session: Session, task_id: str) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment).where(Assignment.task_id == task_id).order_by(Assignment.id)
        )
    )


def task_milestones(session: Session, task_id: str) -> list[Milestone]:
    return list(
        session.scalars(
            select(Milestone)
            .where(Milestone.task_id == task_id)
            .order_by(Milestone.due_date, Milestone.id)
        )
    )
