"""The append-only audit log: every mutation of the tasks service leaves one entry, in the
same transaction as the change itself. Entries about a task (or one of its assignments,
milestones, reports, requests) carry its ``task_id``: that is the task's timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from services.tasks.models import AuditEntry


def record(
    session: Session,
    *,
    government_id: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    task_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            government_id=government_id,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            task_id=task_id if task_id is not None else (entity_id if entity == "task" else None),
            before=before,
            after=after,
            at=datetime.now(UTC),
        )
    )
