"""The append-only audit log: every mutation of the tasks service leaves one entry, in the
same transaction as the change itself. Entries about a task (or one of its assignments,
milestones, reports, requests) carry its ``task_id``: that is the task's timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.tasks.database import GOV, Base
from services.tasks.recorders import recorder_for
from shared.contracts import limits


class AuditEntry(Base):
    """Who changed what, when, from what to what."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index(None, "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    government_id: Mapped[str] = mapped_column(GOV, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(limits.UNIT_NAME))  # a unit, a task, a report
    task_id: Mapped[str | None] = mapped_column(String(80), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Entry:
    """One audit entry to write; ``task_id`` defaults to the entity's id for a task."""

    government_id: str
    actor: str
    action: str
    entity: str
    entity_id: str | int
    task_id: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = field(default=None)

    def row(self, at: datetime) -> dict[str, Any]:
        task_id = self.task_id
        if task_id is None and self.entity == "task":
            task_id = str(self.entity_id)
        return {
            "government_id": self.government_id,
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "entity_id": str(self.entity_id),
            "task_id": task_id,
            "before": self.before,
            "after": self.after,
            "at": at,
        }


def record(session: Session, **fields: Any) -> None:
    """One entry (the keyword arguments of ``Entry``), in the session's transaction."""
    session.add(AuditEntry(**Entry(**fields).row(datetime.now(UTC))))


def record_many(session: Session, entries: Sequence[Entry]) -> None:
    """Many entries at once (the deadline scan and the signal refresh write thousands)."""
    if entries:
        now = datetime.now(UTC)
        recorder_for(session).insert_many(
            session.connection(), AuditEntry.__table__, [e.row(now) for e in entries]
        )
