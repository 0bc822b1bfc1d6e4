"""Whose figures a caller sees: its government's (the bureau, leaders); a unit or an OA
system those of its own units' tasks. The administrator names a government or sees all."""

from __future__ import annotations

from dataclasses import dataclass

from shared.identity.principal import Principal, Role, scoped_government

UNIT_SCOPED = (Role.UNIT, Role.INTEGRATION)


@dataclass(frozen=True)
class Scope:
    government: str | None  # None: every government (the administrator, naming none)
    units: tuple[str, ...] | None  # None: every unit's tasks

    @property
    def label(self) -> str:
        return self.government or "全部"


def scope_of(principal: Principal, government: str | None) -> Scope:
    """Raises ``Forbidden`` when a caller names another government."""
    gov = scoped_government(principal, government)
    units = tuple(principal.unit_scope) if principal.role in UNIT_SCOPED else None
    return Scope(gov, units)
