"""tasks: its own copy of the tokens (``credential``), and every token issued before this
revision announced, so that the other services' copies start complete

Revision ID: tasks_0008
Revises: tasks_0007
Create Date: 2026-12-01

The tokens still valid are written to the outbox as ``access.token_issued`` events, in the
migration's transaction: the relay sends them once the service runs, and intake, notify and
reporting accept those tokens from then on. Revoked tokens need no announcement: no copy
ever held them, and a missing row is refused.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from services.tasks.access.tokens import issued_event
from shared.identity.credentials import create_credential_table, drop_credential_table
from shared.messaging.outbox import outbox_row
from shared.messaging.tables import OUTBOX

revision = "tasks_0008"
down_revision = "tasks_0007"
branch_labels = None
depends_on = None

_COLUMNS = "token_hash, name, role, government_id, unit, leader, units, revoked_at"


def upgrade() -> None:
    create_credential_table(op)
    conn = op.get_bind()
    conn.execute(
        sa.text(
            f"INSERT INTO credential (token_id, {_COLUMNS}) SELECT id, {_COLUMNS} FROM api_token"
        )
    )
    tokens = sa.table(
        "api_token",
        *(sa.column(name) for name in ("id", "token_hash", "name", "role", "government_id")),
        sa.column("unit"),
        sa.column("leader"),
        sa.column("units", sa.JSON),
        sa.column("revoked_at"),
    )
    now = datetime.now(UTC)
    rows = conn.execute(sa.select(tokens).where(tokens.c.revoked_at.is_(None)).order_by("id"))
    events = [issued_event(row) for row in rows]
    if events:
        conn.execute(sa.insert(OUTBOX), [outbox_row(event, now) for event in events])


def downgrade() -> None:
    drop_credential_table(op)
