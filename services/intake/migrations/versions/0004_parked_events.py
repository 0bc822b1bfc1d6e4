"""intake: events it cannot handle are parked, not retried forever

Revision ID: intake_0004
Revises: intake_0003
Create Date: 2026-12-01
"""

from alembic import op

from shared.messaging.tables import create_parked_table, drop_parked_table

revision = "intake_0004"
down_revision = "intake_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_parked_table(op)


def downgrade() -> None:
    drop_parked_table(op)
