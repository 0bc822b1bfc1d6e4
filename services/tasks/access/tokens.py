"""Issuing, listing and revoking API tokens. A token is shown once, stored as its SHA-256
hash, and bound to what it speaks for: a unit must be in the government's directory, or the
token could never be used for anything.

Each issue and revocation is announced (``access.token_issued`` / ``access.token_revoked``,
the hash, never the token) in the same transaction, and applied to this service's own
``credential`` copy by the same handler every other service runs on the event: the tasks
service verifies a request exactly as the others do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.access.models import ApiToken
from services.tasks.access.principal import BUREAU, Principal, Role, require_role
from services.tasks.directory.resolve import directory_unit
from services.tasks.errors import Forbidden, NotFound
from shared.contracts.tasks import TokenIssuedV1, TokenRevokedV1
from shared.identity.credentials import on_token_issued, on_token_revoked
from shared.identity.verify import hash_token, new_token
from shared.messaging.outbox import add_event


def issued_event(row: ApiToken | Row[Any]) -> TokenIssuedV1:
    """What every service is told of a token: of a row just issued, or of one issued before
    tokens were announced (migration tasks_0008)."""
    return TokenIssuedV1(
        token_id=row.id,
        token_hash=row.token_hash,
        name=row.name,
        role=row.role,
        government_id=row.government_id,
        unit=row.unit,
        leader=row.leader,
        units=row.units or [],
    )


def issue(
    session: Session,
    principal: Principal,
    *,
    name: str,
    role: Role,
    government_id: str | None,
    unit: str | None,
    leader: str | None,
    units: list[str],
) -> tuple[ApiToken, str]:
    """The new token's row and its plain text (shown once)."""
    require_role(principal, Role.SUPERVISOR)
    if principal.role != Role.ADMIN:
        if role in BUREAU:
            raise Forbidden("督查部门只能签发单位、领导和 OA 系统的令牌")
        if government_id != principal.government_id:
            raise Forbidden("无权为其他政府签发令牌")
    if government_id and unit:
        unit = directory_unit(session, government_id, unit)
    if government_id:
        units = [directory_unit(session, government_id, u) for u in units]
    plain = new_token()
    row = ApiToken(
        token_hash=hash_token(plain),
        created_at=datetime.now(UTC),
        name=name,
        role=role,
        government_id=government_id,
        unit=unit,
        leader=leader,
        units=units,
    )
    session.add(row)
    session.flush()
    event = issued_event(row)
    on_token_issued(session, event)
    add_event(session, event)
    after = {"name": name, "role": role, "government_id": government_id, "unit": unit}
    audit.record(
        session,
        government_id=government_id or "*",
        actor=principal.name,
        action="token.issued",
        entity="api_token",
        entity_id=row.id,
        after={**after, "leader": leader, "units": units},
    )
    return row, plain


def list_tokens(session: Session, principal: Principal) -> list[ApiToken]:
    require_role(principal, Role.SUPERVISOR)
    query = select(ApiToken).order_by(ApiToken.id)
    if principal.role != Role.ADMIN:
        query = query.where(ApiToken.government_id == principal.government_id)
    return list(session.scalars(query))


def revoke(session: Session, principal: Principal, token_id: int) -> ApiToken:
    require_role(principal, Role.SUPERVISOR)
    row = session.get(ApiToken, token_id)
    if row is None or not principal.sees_government(row.government_id or ""):
        raise NotFound(f"找不到令牌 {token_id}")
    if principal.role != Role.ADMIN and row.role in BUREAU:
        raise Forbidden("督查部门不能吊销管理员或督查部门的令牌")
    if row.revoked_at is not None:
        return row  # revoked already: nothing changes
    row.revoked_at = datetime.now(UTC)
    event = TokenRevokedV1(token_id=row.id, token_hash=row.token_hash, revoked_at=row.revoked_at)
    on_token_revoked(session, event)
    add_event(session, event)
    audit.record(
        session,
        government_id=row.government_id or "*",
        actor=principal.name,
        action="token.revoked",
        entity="api_token",
        entity_id=row.id,
        before={"name": row.name, "role": row.role, "revoked_at": None},
        after={"revoked_at": row.revoked_at.isoformat()},
    )
    return row


def announce_all(session: Session) -> int:
    """Every token announced again, a revoked one issued then revoked (one key, so in that
    order): for a service whose copy was made after the topic's history was purged. The
    copies' handlers are idempotent, so a service that has them all changes nothing."""
    count = 0
    for row in session.scalars(select(ApiToken).order_by(ApiToken.id)):
        add_event(session, issued_event(row))
        if row.revoked_at is not None:
            revoked = TokenRevokedV1(
                token_id=row.id, token_hash=row.token_hash, revoked_at=row.revoked_at
            )
            add_event(session, revoked)
        count += 1
    return count
