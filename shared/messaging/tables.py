"""The outbox, inbox and parked-event tables that every service has beside its own tables.

They are defined once here; each service copies them into its metadata
(``add_messaging_tables``) and creates them in its first migration
(``create_messaging_tables``), so the DDL is written in one place.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from shared.contracts.limits import EVENT_KEY
from shared.db import new_metadata

# SQLite autoincrements only an INTEGER PRIMARY KEY; PostgreSQL wants a BIGINT identity.
_SEQ = BigInteger().with_variant(Integer(), "sqlite")

_METADATA = new_metadata()

OUTBOX = Table(
    "outbox",
    _METADATA,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("type", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("key", String(EVENT_KEY), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True, index=True),
)

INBOX = Table(
    "inbox",
    _METADATA,
    Column("event_id", String(36), primary_key=True),
    Column("type", String(100), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)

# Events this service could not handle, parked so that the rest of their partition flows: a
# row is ``failed`` (its own error) or ``waiting`` (behind a parked event of the same key).
# ``event_id`` is the envelope's id, or ``topic/partition/offset`` for a record that is not
# an envelope at all. A retried row that goes through is deleted (its id is in the inbox);
# a discarded one stays, for the record, and no longer holds its key.
PARKED = Table(
    "parked_event",
    _METADATA,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("event_id", String(100), nullable=False, unique=True),
    Column("type", String(100), nullable=False),
    Column("key", String(EVENT_KEY), nullable=False, index=True),
    Column("topic", String(200), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("reason", String(10), nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("parked_at", DateTime(timezone=True), nullable=False),
    Column("discarded_at", DateTime(timezone=True), nullable=True),
    Column("discarded_by", String(100), nullable=True),
)


def add_messaging_tables(metadata: MetaData) -> None:
    OUTBOX.to_metadata(metadata)
    INBOX.to_metadata(metadata)
    PARKED.to_metadata(metadata)


def create_messaging_tables(op: Any) -> None:
    """Called from a service's first Alembic migration."""
    op.create_table(
        "outbox",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_inbox"),
    )


def drop_messaging_tables(op: Any) -> None:
    op.drop_table("inbox")
    op.drop_index("ix_outbox_published_at", table_name="outbox")
    op.drop_table("outbox")


def create_parked_table(op: Any) -> None:
    """Called from each service's migration that introduced parking (which also widened the
    outbox's key to the contracts' bound: a directory unit's key is up to 265 characters)."""
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("key", type_=sa.String(EVENT_KEY), existing_nullable=False)
    op.create_table(
        "parked_event",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("key", sa.String(EVENT_KEY), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("reason", sa.String(10), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discarded_by", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_parked_event"),
        sa.UniqueConstraint("event_id", name="uq_parked_event_event_id"),
    )
    op.create_index("ix_parked_event_key", "parked_event", ["key"])


def drop_parked_table(op: Any) -> None:
    op.drop_index("ix_parked_event_key", table_name="parked_event")
    op.drop_table("parked_event")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("key", type_=sa.String(200), existing_nullable=False)
