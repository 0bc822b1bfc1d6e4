"""intake: what was read from a file, corrections, stable task ids, targets

Revision ID: intake_0002
Revises: intake_0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0002"
down_revision = "intake_0001"
branch_labels = None
depends_on = None

_EMPTY_LIST = sa.text("'[]'")


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(
            sa.Column("government_id", sa.String(64), nullable=False, server_default="default")
        )
        batch.add_column(sa.Column("sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("filename", sa.String(300), nullable=True))
        batch.add_column(sa.Column("format", sa.String(10), nullable=True))
        batch.add_column(sa.Column("source", sa.String(20), nullable=False, server_default="api"))
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="notice"))
        batch.add_column(sa.Column("issuer", sa.String(200), nullable=True))
        batch.add_column(sa.Column("issued_date", sa.Date, nullable=True))
        batch.add_column(sa.Column("recipients", sa.Text, nullable=True))
        for name in ("reporting_requirements", "reporting_rounds", "targets", "warnings"):
            batch.add_column(sa.Column(name, sa.JSON, nullable=False, server_default=_EMPTY_LIST))
        batch.add_column(sa.Column("supersedes_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("revision", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("changes", sa.JSON, nullable=True))
        batch.create_unique_constraint(
            "uq_document_government_id_sha256", ["government_id", "sha256"]
        )
    with op.batch_alter_table("draft_task") as batch:
        batch.add_column(sa.Column("task_id", sa.String(80), nullable=False, server_default=""))
        batch.add_column(sa.Column("targets", sa.JSON, nullable=False, server_default=_EMPTY_LIST))
        batch.add_column(sa.Column("units", sa.JSON, nullable=False, server_default=_EMPTY_LIST))
    op.execute("UPDATE draft_task SET task_id = id WHERE task_id = ''")


def downgrade() -> None:
    with op.batch_alter_table("draft_task") as batch:
        for name in ("units", "targets", "task_id"):
            batch.drop_column(name)
    with op.batch_alter_table("document") as batch:
        batch.drop_constraint("uq_document_government_id_sha256", type_="unique")
        for name in (
            "changes",
            "revision",
            "supersedes_id",
            "warnings",
            "targets",
            "reporting_rounds",
            "reporting_requirements",
            "recipients",
            "issued_date",
            "issuer",
            "kind",
            "source",
            "format",
            "filename",
            "sha256",
        ):
            batch.drop_column(name)
