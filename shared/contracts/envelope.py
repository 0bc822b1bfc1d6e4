"""The envelope every event travels in, on both buses, as UTF-8 JSON.

``key`` is the aggregate id: Kafka partitions by it, so all events of one task stay in order.
``data`` holds the event's own fields, validated by its versioned contract model.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(description="unique per event; consumers deduplicate on it")
    type: str = Field(description="event type, e.g. task.defined")
    version: int = Field(ge=1, description="contract version of data")
    occurred_at: datetime = Field(
        description="when the state change was made (UTC), in its transaction"
    )
    source: str = Field(description="producing service")
    key: str = Field(description="aggregate id; partition key")
    data: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)


class Event(BaseModel):
    """Base of every contract: one subclass per (type, version), frozen and strict."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str]
    VERSION: ClassVar[int]
    SOURCE: ClassVar[str]
    KEY_FIELD: ClassVar[str]

    def key(self) -> str:
        return str(getattr(self, self.KEY_FIELD))

    def envelope_bytes(self, event_id: uuid.UUID | str, occurred_at: datetime) -> bytes:
        """The envelope of this event as it travels: byte for byte what ``Envelope.to_bytes``
        gives, without building and validating a second model per event (the event itself
        was validated when it was made; a scan writes thousands)."""
        return to_json(
            {
                "id": event_id,
                "type": self.TYPE,
                "version": self.VERSION,
                "occurred_at": occurred_at,
                "source": self.SOURCE,
                "key": self.key(),
                "data": self,
            }
        )

    def envelope(self, event_id: uuid.UUID | None = None) -> Envelope:
        return Envelope(
            id=event_id or uuid.uuid4(),
            type=self.TYPE,
            version=self.VERSION,
            occurred_at=datetime.now(UTC),
            source=self.SOURCE,
            key=self.key(),
            data=self.model_dump(mode="json"),
        )
