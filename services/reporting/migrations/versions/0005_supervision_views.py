"""reporting: the supervision views (documents, rounds, assignments, indicators, timeline),
the event journal they are rebuilt from, the ranking rule and the leaders' digests

Revision ID: reporting_0005
Revises: reporting_0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "reporting_0005"
down_revision = "reporting_0004"
branch_labels = None
depends_on = None

TASK_VIEW_COLUMNS = [
    sa.Column("section", sa.String(300), nullable=False, server_default=""),
    sa.Column("leaders", sa.JSON(), nullable=False, server_default="[]"),
    sa.Column("lead_units", sa.JSON(), nullable=False, server_default="[]"),
    sa.Column("responsible_units", sa.JSON(), nullable=False, server_default="[]"),
    sa.Column("cooperating_units", sa.JSON(), nullable=False, server_default="[]"),
    sa.Column("milestones", sa.JSON(), nullable=False, server_default="[]"),
    sa.Column("year", sa.Integer(), nullable=True),
    sa.Column("registered_on", sa.Date(), nullable=True),
    sa.Column("completed_on", sa.Date(), nullable=True),
    sa.Column("start_day", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("end_day", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("first_due_day", sa.Integer(), nullable=True),
    sa.Column("deadline_day", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("completed_day", sa.Integer(), nullable=True),
]
NEW_TABLES = [
    "report_document",
    "report_round",
    "report_definition",
    "report_indicator",
    "report_assignment",
    "report_unit_round",
    "report_timeline",
    "report_journal",
    "report_ranking_rule",
    "report_digest",
]


def upgrade() -> None:
    with op.batch_alter_table("task_view") as batch:
        for column in TASK_VIEW_COLUMNS:
            batch.add_column(column)
    op.create_index(
        "ix_task_view_government_id_document_id", "task_view", ["government_id", "document_id"]
    )
    op.create_table(
        "report_document",
        sa.Column("document_id", sa.String(36), nullable=False),
        sa.Column("government_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("doc_number", sa.String(100), nullable=True),
        sa.Column("issuer", sa.String(200), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("issued_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("document_id", name="pk_report_document"),
    )
    op.create_table(
        "report_round",
        sa.Column("document_id", sa.String(36), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("due_day", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "period", name="pk_report_round"),
    )
    op.create_table(
        "report_definition",
        sa.Column("task_id", sa.String(80), nullable=False),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("deadlines", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name="pk_report_definition"),
    )
    op.create_table(
        "report_indicator",
        sa.Column("task_id", sa.String(80), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("phrase", sa.String(300), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("comparator", sa.String(2), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("target_max", sa.Float(), nullable=True),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("actual", sa.Float(), nullable=True),
        sa.Column("actual_unit", sa.String(200), nullable=True),
        sa.Column("actual_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("task_id", "number", name="pk_report_indicator"),
    )
    op.create_table(
        "report_assignment",
        sa.Column("task_id", sa.String(80), nullable=False),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("government_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.Column("last_report_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "unit", name="pk_report_assignment"),
    )
    op.create_index(
        "ix_report_assignment_government_id_unit", "report_assignment", ["government_id", "unit"]
    )
    op.create_table(
        "report_unit_round",
        sa.Column("task_id", sa.String(80), nullable=False),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "unit", "period", name="pk_report_unit_round"),
    )
    op.create_table(
        "report_timeline",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            autoincrement=True,
        ),
        sa.Column("task_id", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_report_timeline"),
    )
    op.create_index("ix_report_timeline_task_id_at", "report_timeline", ["task_id", "at"])
    op.create_table(
        "report_ranking_rule",
        sa.Column("government_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("government_id", name="pk_report_ranking_rule"),
    )
    op.create_table(
        "report_digest",
        sa.Column("dedup_key", sa.String(250), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dedup_key", name="pk_report_digest"),
    )
    op.create_table(
        "report_journal",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_report_journal"),
        sa.UniqueConstraint("event_id", name="uq_report_journal_event_id"),
    )


def downgrade() -> None:
    for name in reversed(NEW_TABLES):
        op.drop_table(name)
    op.drop_index("ix_task_view_government_id_document_id", table_name="task_view")
    with op.batch_alter_table("task_view") as batch:
        for column in reversed(TASK_VIEW_COLUMNS):
            batch.drop_column(column.name)
