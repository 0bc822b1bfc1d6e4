"""The caller of a request and the role checks every service makes of it. No token or an
unknown one is 401; a known token asking for something outside its role, government or units
is 403. The roles mean the same in every service (docs/identity.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Unauthorized(Exception):
    """No credentials, or credentials this service does not know (401)."""


class Forbidden(Exception):
    """Known credentials, outside their rights (403); the message says what is missing."""


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    UNIT = "unit"
    LEADER = "leader"
    INTEGRATION = "integration"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.ADMIN: "系统管理员",
    Role.SUPERVISOR: "督查部门",
    Role.UNIT: "责任单位",
    Role.LEADER: "责任领导",
    Role.INTEGRATION: "OA 系统",
}
BUREAU = (Role.ADMIN, Role.SUPERVISOR)  # may act for any unit of their government


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    government_id: str | None
    unit: str | None = None
    leader: str | None = None
    units: tuple[str, ...] = field(default_factory=tuple)
    token_id: int | None = None  # None: the bootstrap admin token, or a person's session
    account_id: int | None = None  # a person logged in (shared.identity.sessions)

    @property
    def identity(self) -> str:
        """Who exactly is calling: names are labels and need not be unique."""
        if self.account_id is not None:
            return f"account:{self.account_id}"
        return "admin" if self.token_id is None else f"token:{self.token_id}"

    @property
    def unit_scope(self) -> tuple[str, ...]:
        """The units this caller speaks for (empty for bureau-wide roles)."""
        if self.role == Role.UNIT and self.unit:
            return (self.unit,)
        return self.units if self.role == Role.INTEGRATION else ()

    def sees_government(self, government_id: str) -> bool:
        return self.role == Role.ADMIN or self.government_id == government_id

    def acts_for(self, unit: str) -> bool:
        return unit in self.unit_scope


ADMIN = Principal(name="admin", role=Role.ADMIN, government_id=None)


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles and principal.role != Role.ADMIN:
        allowed = "、".join(role.label for role in roles)
        raise Forbidden(f"此操作仅限{allowed}，当前身份为{principal.role.label}")


def require_unit(principal: Principal, unit: str) -> None:
    """Only a unit (or the OA system mapped to it) acts as that unit; the bureau may too."""
    if principal.role in BUREAU:
        return
    if not principal.acts_for(unit):
        raise Forbidden(f"无权代表“{unit}”办理")


def scoped_government(principal: Principal, government: str | None) -> str | None:
    """The government a list or a figure is about: the caller's own; an administrator's is
    the one named, or every government (None) when none is."""
    if principal.role == Role.ADMIN:
        return government or None
    if government and government != principal.government_id:
        raise Forbidden("无权访问其他政府的数据")
    return principal.government_id
