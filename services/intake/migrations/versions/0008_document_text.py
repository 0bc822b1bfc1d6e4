"""intake: a document keeps the text it was read from, so the reviewer reads the draft beside
the original whoever uploaded it and from wherever (an OA push included)

Revision ID: intake_0008
Revises: intake_0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0008"
down_revision = "intake_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("text", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.drop_column("text")
