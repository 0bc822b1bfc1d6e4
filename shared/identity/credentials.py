"""Each service's own copy of the API tokens: one ``credential`` row per token, by its
SHA-256 hash, written from the tasks service's token events (and by the tasks service itself
as it issues and revokes). Defined once here, like the messaging tables: each service adds
the table to its metadata (``add_credential_table``) and creates it in a migration
(``create_credential_table``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, select
from sqlalchemy.orm import Session

from shared.contracts import Event, limits
from shared.contracts.tasks import SessionRevokedV1, TokenIssuedV1, TokenRevokedV1
from shared.db import new_metadata
from shared.identity.principal import Principal, Role, Unauthorized
from shared.messaging.inbox import EventHandler

CREDENTIAL = Table(
    "credential",
    new_metadata(),
    Column("token_hash", String(64), primary_key=True),
    Column("token_id", Integer, nullable=False, unique=True),
    Column("name", String(limits.ACTOR), nullable=False),
    Column("role", String(20), nullable=False),
    Column("government_id", String(limits.GOVERNMENT_ID)),
    Column("unit", String(limits.UNIT_NAME)),
    Column("leader", String(limits.LEADER_NAME)),
    Column("units", JSON, nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)


def add_credential_table(metadata: MetaData) -> None:
    CREDENTIAL.to_metadata(metadata)


def create_credential_table(op: Any) -> None:
    """Called from the migration that gives a service its copy of the tokens."""
    op.create_table(
        "credential",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("token_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(limits.ACTOR), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("government_id", sa.String(limits.GOVERNMENT_ID)),
        sa.Column("unit", sa.String(limits.UNIT_NAME)),
        sa.Column("leader", sa.String(limits.LEADER_NAME)),
        sa.Column("units", sa.JSON, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("token_hash", name="pk_credential"),
        sa.UniqueConstraint("token_id", name="uq_credential_token_id"),
    )


def drop_credential_table(op: Any) -> None:
    op.drop_table("credential")


def on_token_issued(session: Session, event: Event) -> None:
    """Idempotent: a redelivered event writes the same row again."""
    assert isinstance(event, TokenIssuedV1)
    row = event.model_dump(exclude={"token_hash"})
    found = session.execute(
        select(CREDENTIAL.c.revoked_at).where(CREDENTIAL.c.token_hash == event.token_hash)
    ).first()
    if found is None:
        session.execute(CREDENTIAL.insert().values(token_hash=event.token_hash, **row))
    else:  # the revocation stays, whatever order a replay brings
        update = CREDENTIAL.update().where(CREDENTIAL.c.token_hash == event.token_hash)
        session.execute(update.values(**row))


def on_token_revoked(session: Session, event: Event) -> None:
    """A revocation of a token never announced (its issue lost with an old topic) still
    leaves nothing to accept: there is no row, and no row means 401."""
    assert isinstance(event, TokenRevokedV1)
    update = CREDENTIAL.update().where(
        CREDENTIAL.c.token_hash == event.token_hash, CREDENTIAL.c.revoked_at.is_(None)
    )
    session.execute(update.values(revoked_at=event.revoked_at))


def on_session_revoked(session: Session, event: Event) -> None:
    """A person's session ended: a row that says so, keyed by the session's hash. Its
    ``token_id`` is the session's number negated, apart from every token's; it is revoked
    from the start, so no ``Authorization: Bearer`` ever matches it. Idempotent."""
    assert isinstance(event, SessionRevokedV1)
    found = session.execute(
        select(CREDENTIAL.c.token_hash).where(CREDENTIAL.c.token_hash == event.session_hash)
    ).first()
    if found is None:
        session.execute(
            CREDENTIAL.insert().values(
                token_hash=event.session_hash,
                token_id=-event.session_id,
                name=f"session:{event.session_id}",
                role=SESSION_ROLE,
                units=[],
                expires_at=event.expires_at,
                revoked_at=event.revoked_at,
            )
        )


SESSION_ROLE = "session"  # the role column of an ended session's row: never a Role

SUBSCRIPTIONS: dict[str, EventHandler] = {
    TokenIssuedV1.TYPE: on_token_issued,
    TokenRevokedV1.TYPE: on_token_revoked,
    SessionRevokedV1.TYPE: on_session_revoked,
}


def session_ended(session: Session, session_hash: str) -> bool:
    """Whether this service has heard that the session ended."""
    found = session.execute(
        select(CREDENTIAL.c.revoked_at).where(CREDENTIAL.c.token_hash == session_hash)
    ).first()
    return found is not None


def principal_for_hash(session: Session, token_hash: str) -> Principal:
    row = session.execute(
        select(CREDENTIAL).where(
            CREDENTIAL.c.token_hash == token_hash,
            CREDENTIAL.c.revoked_at.is_(None),
            CREDENTIAL.c.role != SESSION_ROLE,
        )
    ).first()
    if row is None or (row.expires_at is not None and _aware(row.expires_at) <= datetime.now(UTC)):
        raise Unauthorized("访问令牌无效、已过期或已被吊销")
    return Principal(
        name=row.name,
        role=Role(row.role),
        government_id=row.government_id,
        unit=row.unit,
        leader=row.leader,
        units=tuple(row.units or ()),
        token_id=row.token_id,
    )


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; every time stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
