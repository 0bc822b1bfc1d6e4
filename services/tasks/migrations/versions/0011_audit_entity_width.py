"""tasks: an audit entry's entity id is as wide as a unit's name (a unit named with more
than 80 characters could not be put in the directory: its audit entry failed)

Revision ID: tasks_0011
Revises: tasks_0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "tasks_0011"
down_revision = "tasks_0010"
branch_labels = None
depends_on = None

UNIT_NAME = 200  # shared.contracts.limits.UNIT_NAME when this was written


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.alter_column("entity_id", type_=sa.String(UNIT_NAME), existing_type=sa.String(80))


def downgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.alter_column("entity_id", type_=sa.String(80), existing_type=sa.String(UNIT_NAME))
