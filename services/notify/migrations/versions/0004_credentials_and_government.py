"""notify: its copy of the tokens, and every message carries its government

Revision ID: notify_0004
Revises: notify_0003
Create Date: 2026-12-01

Messages owed before this revision are given "default": the only government intake
published into before its events carried theirs.
"""

import sqlalchemy as sa
from alembic import op

from shared.contracts import limits
from shared.identity.credentials import create_credential_table, drop_credential_table

revision = "notify_0004"
down_revision = "notify_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_credential_table(op)
    with op.batch_alter_table("notice") as batch:
        batch.add_column(
            sa.Column(
                "government_id",
                sa.String(limits.GOVERNMENT_ID),
                nullable=False,
                server_default="default",
            )
        )
    with op.batch_alter_table("notice") as batch:
        batch.alter_column("government_id", server_default=None)
    op.create_index("ix_notice_government_id", "notice", ["government_id"])


def downgrade() -> None:
    op.drop_index("ix_notice_government_id", table_name="notice")
    with op.batch_alter_table("notice") as batch:
        batch.drop_column("government_id")
    drop_credential_table(op)
