"""Changing the directory: every change of a unit or group is audited and announced
(``directory.unit_changed``) so intake can check the units a notice names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.directory.importing import DirectoryRow
from services.tasks.directory.models import Leader, Unit
from services.tasks.errors import NotFound
from shared.contracts.tasks import DirectoryUnitChangedV1
from shared.messaging.outbox import add_event


def _unit(session: Session, government_id: str, name: str) -> Unit | None:
    return session.scalar(
        select(Unit).where(Unit.government_id == government_id, Unit.name == name)
    )


def _described(unit: Unit | None) -> dict[str, Any] | None:
    if unit is None:
        return None
    return {"kind": unit.kind, "aliases": unit.aliases, "members": unit.members}


def put_unit(session: Session, government_id: str, row: DirectoryRow, actor: str) -> Unit:
    unit = _unit(session, government_id, row.name)
    before = _described(unit)
    if unit is None:
        unit = Unit(government_id=government_id, name=row.name)
        session.add(unit)
    unit.kind, unit.aliases, unit.members = row.kind, row.aliases, row.members
    audit.record(
        session,
        government_id=government_id,
        actor=actor,
        action="directory.unit",
        entity="unit",
        entity_id=row.name,
        before=before,
        after=_described(unit),
    )
    add_event(
        session,
        DirectoryUnitChangedV1(
            government_id=government_id,
            name=row.name,
            kind=row.kind,
            aliases=row.aliases,
            members=row.members,
        ),
    )
    return unit


def remove_unit(session: Session, government_id: str, name: str, actor: str) -> None:
    unit = _unit(session, government_id, name)
    if unit is None:
        raise NotFound(f"名录中没有“{name}”")
    audit.record(
        session,
        government_id=government_id,
        actor=actor,
        action="directory.unit_deleted",
        entity="unit",
        entity_id=name,
        before=_described(unit),
    )
    session.delete(unit)
    add_event(
        session,
        DirectoryUnitChangedV1(
            government_id=government_id, name=unit.name, kind=unit.kind, removed=True
        ),
    )


def put_leader(session: Session, government_id: str, name: str, title: str, actor: str) -> Leader:
    leader = session.scalar(
        select(Leader).where(Leader.government_id == government_id, Leader.name == name)
    )
    before = None if leader is None else {"title": leader.title}
    if leader is None:
        leader = Leader(government_id=government_id, name=name)
        session.add(leader)
    leader.title = title
    audit.record(
        session,
        government_id=government_id,
        actor=actor,
        action="directory.leader",
        entity="leader",
        entity_id=name,
        before=before,
        after={"title": title},
    )
    return leader
