"""The token API. The caller of every request is ``shared.identity.verify.PrincipalDep``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.tasks.access import tokens
from services.tasks.access.principal import Role
from shared.contracts import limits
from shared.contracts.limits import UnitName
from shared.identity.verify import PrincipalDep, principal_cache
from shared.ratelimit import rate_limit
from shared.web import SessionsDep

GovernmentQuery = Annotated[
    str | None, Query(max_length=limits.GOVERNMENT_ID, description="管理员须指定政府")
]

router = APIRouter(prefix="/tokens", tags=["访问令牌"])


class TokenIn(BaseModel):
    name: str = Field(
        min_length=1, max_length=limits.ACTOR, description="令牌名称，如“县住建局-张三”"
    )
    role: Role
    government_id: str | None = Field(None, max_length=limits.GOVERNMENT_ID)
    unit: str | None = Field(
        None, max_length=limits.UNIT_NAME, description="unit 角色必填，须在单位名录中"
    )
    leader: str | None = Field(None, max_length=limits.LEADER_NAME, description="leader 角色必填")
    units: list[UnitName] = Field(
        default_factory=list, description="integration 角色可代办的单位，须在单位名录中"
    )

    @model_validator(mode="after")
    def bound_to_what_it_speaks_for(self) -> TokenIn:
        needs = {Role.UNIT: self.unit, Role.LEADER: self.leader, Role.INTEGRATION: self.units}
        if self.role in needs and not needs[self.role]:
            raise ValueError(f"{self.role} 角色的令牌必须指定其代表的单位或领导")
        if self.role != Role.ADMIN and not self.government_id:
            raise ValueError("必须指定 government_id")
        return self


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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


@router.post("", status_code=201, summary="签发令牌", dependencies=[rate_limit("tokens")])
def issue(body: TokenIn, principal: PrincipalDep, sessions: SessionsDep) -> IssuedToken:
    with sessions.begin() as session:
        row, plain = tokens.issue(session, principal, **body.model_dump())
        return IssuedToken.model_validate(
            {**TokenOut.model_validate(row).model_dump(), "token": plain}
        )


@router.get("", summary="令牌列表（不含令牌本身）")
def list_tokens(principal: PrincipalDep, sessions: SessionsDep) -> list[TokenOut]:
    with sessions() as session:
        return [TokenOut.model_validate(t) for t in tokens.list_tokens(session, principal)]


@router.delete("/{token_id}", summary="吊销令牌")
def revoke(
    token_id: int, principal: PrincipalDep, sessions: SessionsDep, request: Request
) -> TokenOut:
    try:
        with sessions.begin() as session:
            return TokenOut.model_validate(tokens.revoke(session, principal, token_id))
    finally:
        # This process stops accepting the token at once; other workers within the cache's TTL.
        principal_cache(request.app).forget_token(token_id)
