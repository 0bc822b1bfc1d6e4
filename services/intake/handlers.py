"""Intake's event handlers: it follows the tasks service's unit directory and its tokens."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.intake.models import DirectoryUnit
from shared.contracts import Event
from shared.contracts.tasks import DirectoryUnitChangedV1
from shared.identity import credentials
from shared.messaging.inbox import EventHandler


def on_directory_unit_changed(session: Session, event: Event) -> None:
    assert isinstance(event, DirectoryUnitChangedV1)
    row = session.get(DirectoryUnit, (event.government_id, event.name))
    if event.removed:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = DirectoryUnit(government_id=event.government_id, name=event.name)
        session.add(row)
    row.kind, row.aliases, row.members = event.kind, event.aliases, event.members


SUBSCRIPTIONS: dict[str, EventHandler] = {
    DirectoryUnitChangedV1.TYPE: on_directory_unit_changed,
    **credentials.SUBSCRIPTIONS,
}
