"""The event contracts: the only thing the services share.

``EVENTS`` lists every (type, version) on the wire; ``docs/events.md`` is generated from it
(``duban events-doc``) and a test fails when that file is stale. A breaking change to a
contract is a new class with VERSION + 1, published beside the old one until consumers move.
Every field states its bounds (``limits``); writing down a bound no producer ever exceeded
is documented in the contract, not a new version.
"""

from __future__ import annotations

from shared.contracts.envelope import Envelope, Event
from shared.contracts.intake import DocumentPublishedV1, TaskDefinedV1, TaskWithdrawnV1
from shared.contracts.notify import NotificationFailedV1, NotificationSentV1
from shared.contracts.reporting import LeaderDigestRequestedV1
from shared.contracts.tasks import (
    AssignmentChangedV1,
    DirectoryUnitChangedV1,
    MilestoneRescheduledV1,
    ProgressReviewedV1,
    ProgressSubmittedV1,
    ReminderRequestedV1,
    SessionRevokedV1,
    TaskRegisteredV1,
    TaskSignalChangedV1,
    TaskStatusChangedV1,
    TaskUrgedV1,
    TokenIssuedV1,
    TokenRevokedV1,
)

EVENTS: tuple[type[Event], ...] = (
    TaskDefinedV1,
    TaskWithdrawnV1,
    DocumentPublishedV1,
    TaskRegisteredV1,
    TaskStatusChangedV1,
    AssignmentChangedV1,
    ProgressSubmittedV1,
    ProgressReviewedV1,
    TaskUrgedV1,
    MilestoneRescheduledV1,
    ReminderRequestedV1,
    TaskSignalChangedV1,
    DirectoryUnitChangedV1,
    TokenIssuedV1,
    TokenRevokedV1,
    SessionRevokedV1,
    NotificationSentV1,
    NotificationFailedV1,
    LeaderDigestRequestedV1,
)

_BY_TYPE_VERSION: dict[tuple[str, int], type[Event]] = {(e.TYPE, e.VERSION): e for e in EVENTS}


class UnknownEvent(LookupError):
    """The envelope names a type or version this code does not know."""


def contract(event_type: str, version: int) -> type[Event]:
    try:
        return _BY_TYPE_VERSION[(event_type, version)]
    except KeyError:
        raise UnknownEvent(f"no contract for {event_type} v{version}") from None


def decode(envelope: Envelope) -> Event:
    return contract(envelope.type, envelope.version).model_validate(envelope.data)


def topic_for(source: str, prefix: str) -> str:
    return f"{prefix}.{source}"


def source_of(event_type: str) -> str:
    """The service that publishes an event type (and so the topic it travels on)."""
    for event in EVENTS:
        if event_type == event.TYPE:
            return event.SOURCE
    raise UnknownEvent(f"no contract for {event_type}")


__all__ = [
    "EVENTS",
    "Envelope",
    "Event",
    "UnknownEvent",
    "contract",
    "decode",
    "source_of",
    "topic_for",
]
