"""reporting: its copy of the tokens (its rows already carry their government)

Revision ID: reporting_0004
Revises: reporting_0003
Create Date: 2026-12-01
"""

from alembic import op

from shared.identity.credentials import create_credential_table, drop_credential_table

revision = "reporting_0004"
down_revision = "reporting_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_credential_table(op)


def downgrade() -> None:
    drop_credential_table(op)
