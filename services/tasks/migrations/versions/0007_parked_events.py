"""tasks: events it cannot handle are parked, not retried forever

Revision ID: tasks_0007
Revises: tasks_0006
Create Date: 2026-12-01
"""

from alembic import op

from shared.messaging.tables import create_parked_table, drop_parked_table

revision = "tasks_0007"
down_revision = "tasks_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_parked_table(op)


def downgrade() -> None:
    drop_parked_table(op)
