"""Matching the names a notice prints against the directory: an alias becomes the canonical
name, a group the directory knows becomes its member units (``via_group`` remembers where
they came from), and a name it does not know is kept as printed, never dropped."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks.directory.models import Unit, UnitKind
from services.tasks.errors import Invalid


@dataclass(frozen=True)
class ResolvedUnit:
    name: str
    via_group: str | None = None


def squeeze(name: str) -> str:
    """Names are compared without spaces: notices letter-space them (“县 财政局”)."""
    return "".join(name.split())


def directory_index(session: Session, government_id: str) -> dict[str, Unit]:
    """Every name and alias of the government's directory, to its entry."""
    units = session.scalars(select(Unit).where(Unit.government_id == government_id))
    index: dict[str, Unit] = {}
    for unit in units:
        index[unit.name] = unit
        for alias in unit.aliases:
            index.setdefault(alias, unit)
    return index


def resolve_units(index: dict[str, Unit], names: list[str]) -> list[ResolvedUnit]:
    out: list[ResolvedUnit] = []
    for raw in names:
        name = squeeze(raw)
        unit = index.get(name)
        if unit is None:
            out.append(ResolvedUnit(name))
        elif unit.kind == UnitKind.GROUP and unit.members:
            out.extend(
                ResolvedUnit(index[m].name if m in index else m, unit.name) for m in unit.members
            )
        else:
            out.append(ResolvedUnit(unit.name))
    return list(dict.fromkeys(out))


def directory_unit(session: Session, government_id: str, name: str) -> str:
    """The canonical name of a unit (not a group) the directory lists under ``name`` or an
    alias; refused otherwise, since a token or an action for it could never be used."""
    unit = directory_index(session, government_id).get(squeeze(name))
    if unit is None:
        raise Invalid(
            f"单位“{name}”不在本政府的单位名录中；请先在单位名录中登记该单位"
            "（PUT /directory/units/{名称}）或导入名录"
        )
    if unit.kind == UnitKind.GROUP:
        raise Invalid(f"“{name}”是分组，不是单位；请指定其中的成员单位")
    return unit.name
