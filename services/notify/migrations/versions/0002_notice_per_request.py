"""notify: notices keyed by request and recipient, with their message text

Revision ID: notify_0002
Revises: notify_0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "notify_0002"
down_revision = "notify_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notice") as batch:
        batch.add_column(sa.Column("dedup_key", sa.String(500), nullable=True))
        batch.add_column(
            sa.Column("recipient_kind", sa.String(10), nullable=False, server_default="unit")
        )
        batch.add_column(sa.Column("body", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("due_date", sa.Date, nullable=True))
    op.execute("UPDATE notice SET dedup_key = kind || ':' || task_id || '|' || unit")
    with op.batch_alter_table("notice") as batch:
        batch.alter_column("dedup_key", existing_type=sa.String(500), nullable=False)
        batch.drop_constraint("uq_notice_task_id_unit_kind", type_="unique")
        batch.create_unique_constraint("uq_notice_dedup_key", ["dedup_key"])
        batch.create_index("ix_notice_task_id", ["task_id"])


def downgrade() -> None:
    with op.batch_alter_table("notice") as batch:
        batch.drop_index("ix_notice_task_id")
        batch.drop_constraint("uq_notice_dedup_key", type_="unique")
        batch.create_unique_constraint("uq_notice_task_id_unit_kind", ["task_id", "unit", "kind"])
        for name in ("due_date", "body", "recipient_kind", "dedup_key"):
            batch.drop_column(name)
