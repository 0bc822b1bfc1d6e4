"""intake: its copy of the tokens, and who took in and who published each document

Revision ID: intake_0005
Revises: intake_0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from shared.contracts import limits
from shared.identity.credentials import create_credential_table, drop_credential_table

revision = "intake_0005"
down_revision = "intake_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_credential_table(op)
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("created_by", sa.String(limits.ACTOR)))
        batch.add_column(sa.Column("published_by", sa.String(limits.ACTOR)))


def downgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.drop_column("published_by")
        batch.drop_column("created_by")
    drop_credential_table(op)
