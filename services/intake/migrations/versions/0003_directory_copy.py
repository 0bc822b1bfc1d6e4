"""intake: a copy of each government's unit directory

Revision ID: intake_0003
Revises: intake_0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0003"
down_revision = "intake_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_unit",
        sa.Column("government_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("aliases", sa.JSON, nullable=False),
        sa.Column("members", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("government_id", "name", name="pk_directory_unit"),
    )


def downgrade() -> None:
    op.drop_table("directory_unit")
