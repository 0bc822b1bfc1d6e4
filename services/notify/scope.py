"""Who may see and change what in notify, one rule for every route: the bureau (the
administrator, a supervisor) its government's; a unit, or the OA system mapped to it, what
is addressed to its own units; a leader what is addressed to him or her."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import ColumnElement, and_, false, true

from services.notify.errors import Invalid
from shared.contracts import limits
from shared.identity.principal import BUREAU, Forbidden, Principal, Role

GovernmentQuery = Annotated[
    str | None, Query(max_length=limits.GOVERNMENT_ID, description="管理员可（写操作须）指定政府")
]


def government_of(principal: Principal, government: str | None) -> str:
    """The one government a change is about: the caller's own, or (administrators, who
    belong to none) the one named."""
    if principal.role == Role.ADMIN:
        if not government:
            raise Invalid("管理员操作须指定 government 参数")
        return government
    if government and government != principal.government_id:
        raise Forbidden("无权访问其他政府的数据")
    return principal.government_id or ""


def addressed_to(principal: Principal, owner_kind: Any, owner: Any) -> ColumnElement[bool]:
    """The rows a caller sees among its government's, by their owner columns."""
    if principal.role in BUREAU:
        return true()
    if principal.role == Role.LEADER:
        if not principal.leader:
            return false()
        return and_(owner_kind == "leader", owner == principal.leader)
    units = principal.unit_scope
    if not units:
        return false()
    return and_(owner_kind == "unit", owner.in_(units))


def sees_numbers(principal: Principal) -> bool:
    """Full mobile numbers are for the bureau only; everyone else sees 139****5678."""
    return principal.role in BUREAU
