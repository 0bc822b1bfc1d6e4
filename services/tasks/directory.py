"""The org directory of a government: units with aliases, groups with members, leaders.

Every change is announced (``directory.unit_changed``) so intake can check the units a
notice names before it is published. Names in a notice are matched against it: an alias
becomes the canonical name, a group the directory knows becomes its member units
(``via_group`` remembers where they came from), and a name it does not know is kept as
printed, never dropped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks.models import Unit
from shared.contracts.tasks import DirectoryUnitChangedV1
from shared.messaging.outbox import add_event

KIND_WORDS = {"单位": "unit", "unit": "unit", "分组": "group", "组": "group", "group": "group"}


@dataclass(frozen=True)
class ResolvedUnit:
    name: str
    via_group: str | None = None


class DirectoryError(ValueError):
    """A directory import the clerk must fix; the message names the line."""


def _index(session: Session, government_id: str) -> dict[str, Unit]:
    units = session.scalars(select(Unit).where(Unit.government_id == government_id))
    index: dict[str, Unit] = {}
    for unit in units:
        index[unit.name] = unit
        for alias in unit.aliases:
            index.setdefault(alias, unit)
    return index


def resolve_units(session: Session, government_id: str, names: list[str]) -> list[ResolvedUnit]:
    index = _index(session, government_id)
    out: list[ResolvedUnit] = []
    for raw in names:
        name = "".join(raw.split())
        unit = index.get(name)
        if unit is None:
            out.append(ResolvedUnit(name))
        elif unit.kind == "group" and unit.members:
            out.extend(
                ResolvedUnit(index[m].name if m in index else m, unit.name) for m in unit.members
            )
        else:
            out.append(ResolvedUnit(unit.name))
    return list(dict.fromkeys(out))


def upsert_unit(
    session: Session,
    government_id: str,
    name: str,
    kind: str,
    aliases: list[str],
    members: list[str],
) -> Unit:
    unit = session.scalar(
        select(Unit).where(Unit.government_id == government_id, Unit.name == name)
    )
    if unit is None:
        unit = Unit(government_id=government_id, name=name)
        session.add(unit)
    unit.kind, unit.aliases, unit.members = kind, aliases, members
    add_event(
        session,
        DirectoryUnitChangedV1(
            government_id=government_id, name=name, kind=kind, aliases=aliases, members=members
        ),
    )
    return unit


def remove_unit(session: Session, unit: Unit) -> None:
    session.delete(unit)
    add_event(
        session,
        DirectoryUnitChangedV1(
            government_id=unit.government_id, name=unit.name, kind=unit.kind, removed=True
        ),
    )


def parse_directory_csv(text: str) -> list[tuple[str, str, list[str], list[str]]]:
    """Rows of 名称,类型,别名,成员 (aliases and members separated by 、 or ;)."""
    rows = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    for line, row in enumerate(reader, start=2):
        name = "".join((row.get("名称") or row.get("name") or "").split())
        if not name:
            raise DirectoryError(f"第 {line} 行缺少单位名称")
        kind_word = (row.get("类型") or row.get("kind") or "单位").strip()
        if kind_word not in KIND_WORDS:
            raise DirectoryError(f"第 {line} 行的类型“{kind_word}”无法识别，应为“单位”或“分组”")
        rows.append(
            (
                name,
                KIND_WORDS[kind_word],
                _split(row.get("别名") or row.get("aliases")),
                _split(row.get("成员") or row.get("members")),
            )
        )
    return rows


def _split(cell: str | None) -> list[str]:
    if not cell:
        return []
    parts = cell.replace(";", "、").replace("；", "、").split("、")
    return ["".join(p.split()) for p in parts if p.strip()]
