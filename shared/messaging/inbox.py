"""The inbox: what makes every consumer idempotent.

The event id is inserted in the same transaction as the handler's effects. A redelivered
event finds its id already there and has no second effect; two consumers racing on the same
event (during a rebalance) collide on the primary key and the loser rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shared.contracts import Envelope, Event, UnknownEvent, decode
from shared.messaging.tables import INBOX
from shared.metrics import EVENT_LAG, EVENTS_HANDLED

log = logging.getLogger(__name__)

EventHandler = Callable[[Session, Event], None]


class Subscriber:
    """Routes envelopes to a service's handlers, once each."""

    def __init__(
        self,
        service: str,
        sessions: sessionmaker[Session],
        subscriptions: Mapping[str, EventHandler],
    ) -> None:
        self.service = service
        self._sessions = sessions
        self._subscriptions = subscriptions

    def __call__(self, envelope: Envelope) -> None:
        handler = self._subscriptions.get(envelope.type)
        if handler is None:
            return  # another consumer's event on a shared topic
        try:
            event = decode(envelope)
        except UnknownEvent:
            log.error(
                "%s cannot read %s v%d (%s); skipped",
                self.service,
                envelope.type,
                envelope.version,
                envelope.id,
            )
            return
        if self.handle_once(envelope, event, handler):
            EVENTS_HANDLED.labels(self.service, envelope.type).inc()
            lag = (datetime.now(UTC) - envelope.occurred_at).total_seconds()
            EVENT_LAG.labels(self.service).observe(max(lag, 0.0))

    def handle_once(self, envelope: Envelope, event: Event, handler: EventHandler) -> bool:
        """True if the handler ran; False if this event id was processed before."""
        try:
            with self._sessions.begin() as session:
                if self._seen_in(session, envelope):
                    return False
                session.execute(
                    insert(INBOX).values(
                        event_id=str(envelope.id),
                        type=envelope.type,
                        processed_at=datetime.now(UTC),
                    )
                )
                session.flush()
                handler(session, event)
        except IntegrityError:
            if not self._seen(envelope):
                raise  # the handler's own constraint failed: retry, do not drop the event
            log.info("%s: event %s already processed elsewhere", self.service, envelope.id)
            return False
        return True

    def _seen(self, envelope: Envelope) -> bool:
        with self._sessions() as session:
            return self._seen_in(session, envelope)

    @staticmethod
    def _seen_in(session: Session, envelope: Envelope) -> bool:
        row = session.execute(
            select(INBOX.c.event_id).where(INBOX.c.event_id == str(envelope.id))
        ).first()
        return row is not None
