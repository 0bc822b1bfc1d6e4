"""tasks: people's accounts (argon2id password hashes, lock-out) and their sessions

Revision ID: tasks_0010
Revises: tasks_0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "tasks_0010"
down_revision = "tasks_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("login", sa.String(40), nullable=False),
        sa.Column("display_name", sa.String(40), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("government_id", sa.String(64)),
        sa.Column("unit", sa.String(200)),
        sa.Column("leader", sa.String(50)),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("failed_count", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("login", name=op.f("uq_account_login")),
    )
    op.create_table(
        "account_session",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("client", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_reason", sa.String(20)),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_account_session_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_session")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_account_session_session_hash")),
    )
    op.create_index(
        op.f("ix_account_session_account_id"), "account_session", ["account_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("account_session")
    op.drop_table("account")
