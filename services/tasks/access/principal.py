"""The caller and the role checks, as every service has them (``shared.identity``), plus the
tasks service's rule for the government a call is about."""

from __future__ import annotations

from services.tasks.errors import Forbidden, Invalid
from shared.identity.principal import BUREAU, Principal, Role, require_role, require_unit

__all__ = ["BUREAU", "Principal", "Role", "government_of", "require_role", "require_unit"]


def government_of(principal: Principal, government: str | None) -> str:
    """The government a call is about: the caller's own, or (administrators, who belong to
    none) the one named."""
    if principal.role == Role.ADMIN:
        if not government:
            raise Invalid("管理员操作须指定 government 参数")
        return government
    if government and government != principal.government_id:
        raise Forbidden("无权访问其他政府的数据")
    return principal.government_id or ""
