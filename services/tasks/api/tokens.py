"""API tokens: issued once in plain text, stored hashed, revocable."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select

from services.tasks import audit
from services.tasks.api.deps import PrincipalDep, principal_cache
from services.tasks.api.schemas import Orm
from services.tasks.auth import Forbidden, Principal, hash_token, new_token, require_role
from services.tasks.lifecycle import NotFound
from services.tasks.models import ApiToken
from shared.web import SessionsDep

router = APIRouter(prefix="/tokens", tags=["访问令牌"])


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="令牌名称，如“县住建局-张三”")
    role: str = Field(pattern="^(admin|supervisor|unit|leader|integration)$")
    government_id: str | None = Field(None, max_length=64)
    unit: str | None = Field(None, max_length=200, description="unit 角色必填")
    leader: str | None = Field(None, max_length=50, description="leader 角色必填")
    units: list[str] = Field(default_factory=list, description="integration 角色可代办的单位")

    @model_validator(mode="after")
    def bound_to_what_it_speaks_for(self) -> TokenIn:
        needs = {"unit": self.unit, "leader": self.leader, "integration": self.units}
        if self.role in needs and not needs[self.role]:
            raise ValueError(f"{self.role} 角色的令牌必须指定其代表的单位或领导")
        if self.role != "admin" and not self.government_id:
            raise ValueError("必须指定 government_id")
        return self


class TokenOut(Orm):
    id: int
    name: str
    role: str
    government_id: str | None
    unit: str | None
    leader: str | None
    units: list[str]
    created_at: datetime
    revoked_at: datetime | None


class IssuedToken(TokenOut):
    token: str = Field(description="只显示这一次，请妥善保存")


@router.post("", status_code=201, summary="签发令牌")
def issue(body: TokenIn, principal: PrincipalDep, sessions: SessionsDep) -> IssuedToken:
    require_role(principal, "supervisor")
    if principal.role != "admin":
        if body.role in ("admin", "supervisor"):
            raise Forbidden("督查部门只能签发单位、领导和 OA 系统的令牌")
        if body.government_id != principal.government_id:
            raise Forbidden("无权为其他政府签发令牌")
    plain = new_token()
    with sessions.begin() as session:
        row = ApiToken(
            token_hash=hash_token(plain), created_at=datetime.now(UTC), **body.model_dump()
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            government_id=body.government_id or "*",
            actor=principal.name,
            action="token.issued",
            entity="api_token",
            entity_id=row.id,
            after=body.model_dump(),
        )
        return IssuedToken.model_validate(
            {**TokenOut.model_validate(row).model_dump(), "token": plain}
        )


@router.get("", summary="令牌列表（不含令牌本身）")
def list_tokens(principal: PrincipalDep, sessions: SessionsDep) -> list[TokenOut]:
    require_role(principal, "supervisor")
    query = select(ApiToken).order_by(ApiToken.id)
    if principal.role != "admin":
        query = query.where(ApiToken.government_id == principal.government_id)
    with sessions() as session:
        return [TokenOut.model_validate(t) for t in session.scalars(query)]


@router.delete("/{token_id}", summary="吊销令牌")
def revoke(
    token_id: int, principal: PrincipalDep, sessions: SessionsDep, request: Request
) -> TokenOut:
    require_role(principal, "supervisor")
    try:
        return _revoke(token_id, principal, sessions)
    finally:
        # This process stops accepting the token at once; other workers within the cache's TTL.
        principal_cache(request.app).forget_token(token_id)


def _revoke(token_id: int, principal: Principal, sessions: SessionsDep) -> TokenOut:
    with sessions.begin() as session:
        row = session.get(ApiToken, token_id)
        if row is None or not principal.sees_government(row.government_id or ""):
            raise NotFound(f"找不到令牌 {token_id}")
        if principal.role != "admin" and row.role in ("admin", "supervisor"):
            raise Forbidden("督查部门不能吊销管理员或督查部门的令牌")
        if row.revoked_at is not None:
            return TokenOut.model_validate(row)  # revoked already: nothing changes
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
        return TokenOut.model_validate(row)
