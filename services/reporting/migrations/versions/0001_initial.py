"""reporting: task view, outbox and inbox

Revision ID: reporting_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from shared.messaging.tables import create_messaging_tables, drop_messaging_tables

revision = "reporting_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "task_view",
        sa.Column("task_id", sa.String(80), nullable=False),
        sa.Column("document_id", sa.String(36), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("units", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name="pk_task_view"),
    )
    op.create_index("ix_task_view_document_id", "task_view", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_task_view_document_id", table_name="task_view")
    op.drop_table("task_view")
    drop_messaging_tables(op)
