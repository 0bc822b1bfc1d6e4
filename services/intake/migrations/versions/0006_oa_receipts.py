"""intake: the answer to each signed OA push, kept while the push could be replayed

Revision ID: intake_0006
Revises: intake_0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from shared.contracts import limits

revision = "intake_0006"
down_revision = "intake_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oa_receipt",
        sa.Column("signature_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(limits.UUID), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("signature_hash", name="pk_oa_receipt"),
    )
    op.create_index("ix_oa_receipt_expires_at", "oa_receipt", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_oa_receipt_expires_at", table_name="oa_receipt")
    op.drop_table("oa_receipt")
