"""tasks: a reminder and escalation policy per government

Revision ID: tasks_0004
Revises: tasks_0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "tasks_0004"
down_revision = "tasks_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder_policy",
        sa.Column("government_id", sa.String(length=64), nullable=False),
        sa.Column("before_due", sa.JSON(), nullable=False),
        sa.Column("overdue_every", sa.Integer(), nullable=False),
        sa.Column("report_before", sa.Integer(), nullable=False),
        sa.Column("escalate_to_leader_after", sa.Integer(), nullable=False),
        sa.Column("circular_after", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("government_id", name=op.f("pk_reminder_policy")),
    )


def downgrade() -> None:
    op.drop_table("reminder_policy")
