"""notify: contacts, deliveries and their attempts, message templates

Revision ID: notify_0005
Revises: notify_0004
Create Date: 2026-12-10

Notices owed before this revision are marked planned: they were never sent by a channel and
sending them now, months late, would be a surprise to everyone.
"""

import sqlalchemy as sa
from alembic import op

revision = "notify_0005"
down_revision = "notify_0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("notice") as batch:
        batch.add_column(sa.Column("task_number", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("subject", sa.String(200), nullable=False, server_default=""))
    with op.batch_alter_table("notice") as batch:
        batch.alter_column("task_number", server_default=None)
        batch.alter_column("subject", server_default=None)
    op.execute("UPDATE notice SET status = 'planned' WHERE status = 'pending'")
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("government_id", sa.String(64), nullable=False),
        sa.Column("owner_kind", sa.String(10), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("post", sa.String(60), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("wecom_userid", sa.String(64), nullable=True),
        sa.Column("mobile", sa.String(20), nullable=True),
        sa.Column("oa_account", sa.String(64), nullable=True),
        sa.Column("channels", sa.JSON, nullable=False),
        sa.Column("quiet_exempt", sa.Boolean, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contact"),
        sa.UniqueConstraint(
            "government_id",
            "owner_kind",
            "owner",
            "post",
            name="uq_contact_government_id_owner_kind_owner_post",
        ),
    )
    op.create_index("ix_contact_government_id", "contact", ["government_id"])
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("notice_id", sa.Integer, nullable=False),
        sa.Column("government_id", sa.String(64), nullable=False),
        sa.Column("task_id", sa.String(80), nullable=False),
        sa.Column("dedup_key", sa.String(500), nullable=False),
        sa.Column("recipient_key", sa.String(40), nullable=False),
        sa.Column("contact_id", sa.Integer, nullable=True),
        sa.Column("owner_kind", sa.String(10), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("post", sa.String(60), nullable=False),
        sa.Column("recipient_name", sa.String(50), nullable=False),
        sa.Column("channel", sa.String(30), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("deadline", TZ, nullable=False),
        sa.Column("claim", sa.String(36), nullable=True),
        sa.Column("claimed_at", TZ, nullable=True),
        sa.Column("provider", sa.String(30), nullable=False),
        sa.Column("provider_id", sa.String(100), nullable=True),
        sa.Column("last_code", sa.String(100), nullable=False),
        sa.Column("last_message", sa.Text, nullable=False),
        sa.Column("previous_id", sa.Integer, nullable=True),
        sa.Column("refers_to", sa.Integer, nullable=True),
        sa.Column("digest_of", sa.Integer, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivery"),
        sa.UniqueConstraint(
            "dedup_key",
            "recipient_key",
            "channel",
            name="uq_delivery_dedup_key_recipient_key_channel",
        ),
    )
    op.create_index("ix_delivery_notice_id", "delivery", ["notice_id"])
    op.create_index("ix_delivery_owner", "delivery", ["owner"])
    op.create_index("ix_delivery_status_next_attempt_at", "delivery", ["status", "next_attempt_at"])
    op.create_index("ix_delivery_government_id_task_id", "delivery", ["government_id", "task_id"])
    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(30), nullable=False),
        sa.Column("rate_key", sa.String(40), nullable=False),
        sa.Column("address", sa.String(80), nullable=False),
        sa.Column("provider", sa.String(30), nullable=False),
        sa.Column("provider_id", sa.String(100), nullable=True),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("duration_ms", sa.Integer, nullable=True),
        sa.Column("actor", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_attempt"),
    )
    op.create_index("ix_delivery_attempt_delivery_id", "delivery_attempt", ["delivery_id"])
    op.create_index(
        "ix_delivery_attempt_channel_rate_key_started_at",
        "delivery_attempt",
        ["channel", "rate_key", "started_at"],
    )
    op.create_table(
        "message_template",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("government_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_message_template"),
        sa.UniqueConstraint("government_id", "kind", name="uq_message_template_government_id_kind"),
    )


def downgrade() -> None:
    op.drop_table("message_template")
    op.drop_index("ix_delivery_attempt_channel_rate_key_started_at", table_name="delivery_attempt")
    op.drop_index("ix_delivery_attempt_delivery_id", table_name="delivery_attempt")
    op.drop_table("delivery_attempt")
    for index in (
        "ix_delivery_government_id_task_id",
        "ix_delivery_status_next_attempt_at",
        "ix_delivery_owner",
        "ix_delivery_notice_id",
    ):
        op.drop_index(index, table_name="delivery")
    op.drop_table("delivery")
    op.drop_index("ix_contact_government_id", table_name="contact")
    op.drop_table("contact")
    with op.batch_alter_table("notice") as batch:
        batch.drop_column("subject")
        batch.drop_column("task_number")
