"""tasks: a keyed progress report keeps the fingerprint of the body it was sent with

Revision ID: tasks_0009
Revises: tasks_0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "tasks_0009"
down_revision = "tasks_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("progress_report") as batch:
        batch.add_column(sa.Column("request_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("progress_report") as batch:
        batch.drop_column("request_hash")
