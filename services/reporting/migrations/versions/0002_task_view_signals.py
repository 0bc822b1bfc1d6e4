"""reporting: signal, progress and government on the task view

Revision ID: reporting_0002
Revises: reporting_0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "reporting_0002"
down_revision = "reporting_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task_view") as batch:
        batch.add_column(
            sa.Column("government_id", sa.String(64), nullable=False, server_default="default")
        )
        batch.add_column(sa.Column("signal", sa.String(10), nullable=False, server_default="green"))
        batch.add_column(sa.Column("signal_reason", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("percent", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_report_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task_view") as batch:
        for name in ("last_report_at", "percent", "signal_reason", "signal", "government_id"):
            batch.drop_column(name)
