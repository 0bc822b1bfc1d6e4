"""Events published by the reporting service (source ``reporting``, topic
``<prefix>.reporting``).

``leader.digest_requested``: once a day, for each leader in charge with red tasks, the list of
them, so that notify can owe the leader one message rather than one per task.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import BaseModel, Field

from shared.contracts import limits
from shared.contracts.envelope import Event


class DigestItem(BaseModel):
    """One red task of the digest: what it is and why it is red, in words."""

    task_id: str = Field(max_length=limits.TASK_ID)
    number: str = Field(max_length=limits.NUMBER)
    text: str = Field(max_length=limits.TEXT)
    reason: str = Field(max_length=limits.TEXT, description="why it is red (the tasks' words)")
    workdays_overdue: int = Field(0, ge=0, le=100_000)


class LeaderDigestRequestedV1(Event):
    """A leader's daily digest of his or her red tasks (至少一项红灯才发). ``dedup_key`` is
    government, leader and day: notify owes at most one message per key."""

    TYPE: ClassVar[str] = "leader.digest_requested"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "reporting"
    KEY_FIELD: ClassVar[str] = "dedup_key"

    dedup_key: str = Field(max_length=limits.DEDUP_KEY)
    government_id: str = Field(max_length=limits.GOVERNMENT_ID)
    leader: str = Field(max_length=limits.LEADER_NAME)
    day: dt.date
    subject: str = Field(max_length=limits.TITLE, description="the message's title, in Chinese")
    items: list[DigestItem] = Field(max_length=1000)
