"""intake: a draft can be discarded, naming who did it and when (its bytes may then be
taken in again as a new draft)

Revision ID: intake_0007
Revises: intake_0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from shared.contracts import limits

revision = "intake_0007"
down_revision = "intake_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("discarded_by", sa.String(limits.ACTOR)))
        batch.add_column(sa.Column("discarded_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.drop_column("discarded_at")
        batch.drop_column("discarded_by")
