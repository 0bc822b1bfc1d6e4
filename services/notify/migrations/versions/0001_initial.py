"""notify: notice, outbox and inbox

Revision ID: notify_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from shared.messaging.tables import create_messaging_tables, drop_messaging_tables

revision = "notify_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(80), nullable=False),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notice"),
        sa.UniqueConstraint("task_id", "unit", "kind", name="uq_notice_task_id_unit_kind"),
    )


def downgrade() -> None:
    op.drop_table("notice")
    drop_messaging_tables(op)
