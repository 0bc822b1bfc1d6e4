"""Issuing, listing and revoking API tokens. A token is shown once, stored as its SHA-256
hash, and bound to what it speaks for: a unit must be in the government's directory, or the
token could never be used for anything."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.access.models import ApiToken
from services.tasks.access.principal import BUREAU, Principal, Role, require_role
from services.tasks.directory.resolve import directory_unit
from services.tasks.errors import Forbidden, NotFound, Unauthorized


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "dbn_" + secrets.token_urlsafe(32)


def bearer_token(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("缺少访问令牌（Authorization: Bearer …）")
    return authorization[7:].strip()


def is_admin_token(token: str, admin_token: str | None) -> bool:
    return bool(admin_token) and hmac.compare_digest(token, admin_token or "")


def principal_for_hash(session: Session, token_hash: str) -> Principal:
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    )
    if row is None:
        raise Unauthorized("访问令牌无效或已被吊销")
    return Principal(
        name=row.name,
        role=Role(row.role),
        government_id=row.government_id,
        unit=row.unit,
        leader=row.leader,
        units=tuple(row.units or ()),
        token_id=row.id,
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
