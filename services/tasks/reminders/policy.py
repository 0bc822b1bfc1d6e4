"""Each government's reminder and escalation policy: how many working days before a deadline
units are reminded, how often while overdue, when the leader is told and when the task goes
on the 通报 list. Changes are audited; governments without their own use the defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.reminders.models import ReminderPolicyRow
from services.tasks.reminders.steps import ReminderPolicy

DEFAULT = ReminderPolicy()
DEFAULTS = "*"  # the book of every government without a policy of its own


@dataclass(frozen=True)
class PolicyBook:
    """The policies in force, by government, for one scan."""

    by_government: dict[str, ReminderPolicy] = field(default_factory=dict)

    def for_(self, government_id: str) -> ReminderPolicy:
        return self.by_government.get(government_id, DEFAULT)

    @property
    def all(self) -> list[ReminderPolicy]:
        return [DEFAULT, *self.by_government.values()]

    @property
    def longest_before_due(self) -> int:
        return max(max(p.before_due, default=0) for p in self.all)

    @property
    def longest_report_before(self) -> int:
        return max(p.report_before for p in self.all)

    @property
    def books(self) -> list[tuple[str, ReminderPolicy]]:
        """Each policy once: "*" for every government that keeps the default."""
        return [(DEFAULTS, DEFAULT), *self.by_government.items()]

    def key_of(self, government_id: str) -> str:
        """The book a government's steps come from ("*" unless it has its own policy)."""
        return government_id if government_id in self.by_government else DEFAULTS


def _policy(row: ReminderPolicyRow) -> ReminderPolicy:
    return ReminderPolicy(
        before_due=tuple(row.before_due),
        overdue_every=row.overdue_every,
        report_before=row.report_before,
        escalate_to_leader_after=row.escalate_to_leader_after,
        circular_after=row.circular_after,
    )


def load_policies(session: Session) -> PolicyBook:
    rows = session.scalars(select(ReminderPolicyRow))
    return PolicyBook({row.government_id: _policy(row) for row in rows})


def policy_of(session: Session, government_id: str) -> ReminderPolicy:
    row = session.get(ReminderPolicyRow, government_id)
    return DEFAULT if row is None else _policy(row)


def set_policy(session: Session, government_id: str, policy: ReminderPolicy, actor: str) -> None:
    before = asdict(policy_of(session, government_id))
    row = session.get(ReminderPolicyRow, government_id) or ReminderPolicyRow(
        government_id=government_id
    )
    row.before_due = list(policy.before_due)
    row.overdue_every, row.report_before = policy.overdue_every, policy.report_before
    row.escalate_to_leader_after = policy.escalate_to_leader_after
    row.circular_after = policy.circular_after
    row.updated_by, row.updated_at = actor, datetime.now(UTC)
    session.merge(row)
    audit.record(
        session,
        government_id=government_id,
        actor=actor,
        action="policy.updated",
        entity="reminder_policy",
        entity_id=government_id,
        before=before,
        after=asdict(policy),
    )
