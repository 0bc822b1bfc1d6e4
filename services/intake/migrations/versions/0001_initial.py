"""intake: documents, draft tasks, outbox and inbox

Revision ID: intake_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from shared.messaging.tables import create_messaging_tables, drop_messaging_tables

revision = "intake_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "document",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("doc_number", sa.String(100), nullable=True),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_document"),
    )
    op.create_table(
        "draft_task",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("document_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("path", sa.JSON, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("leaders", sa.JSON, nullable=False),
        sa.Column("lead_units", sa.JSON, nullable=False),
        sa.Column("responsible_units", sa.JSON, nullable=False),
        sa.Column("cooperating_units", sa.JSON, nullable=False),
        sa.Column("deadlines", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_draft_task"),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name="fk_draft_task_document_id_document",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("document_id", "position", name="uq_draft_task_document_id_position"),
    )


def downgrade() -> None:
    op.drop_table("draft_task")
    op.drop_table("document")
    drop_messaging_tables(op)
