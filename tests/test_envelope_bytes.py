"""Outbox rows are built from the contract in one place (``outbox.outbox_row``); their bytes
are, byte for byte, the envelope the contract model would write, and their ids are UUIDs."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from shared.contracts import Envelope, decode
from shared.contracts.tasks import ReminderRequestedV1
from shared.messaging.outbox import outbox_rows, random_uuids

EVENT = ReminderRequestedV1(
    dedup_key="overdue:t:m1:甲,乙:2022-10-10:+1",
    task_id="t",
    government_id="default",
    kind="overdue",
    step="+1",
    due_date=date(2022, 10, 10),
    units=["甲", "乙"],
    subject="10月10日前\n“完成”",
    task_number="1",
    task_text="第1项",
)


def test_an_outbox_row_carries_the_contract_s_envelope_bytes() -> None:
    at = datetime(2022, 10, 11, 0, 30, 0, 5, tzinfo=UTC)
    (row,) = outbox_rows([EVENT], at)
    envelope = Envelope(
        id=uuid.UUID(row["event_id"]),
        type=EVENT.TYPE,
        version=EVENT.VERSION,
        occurred_at=at,
        source=EVENT.SOURCE,
        key=EVENT.key(),
        data=EVENT.model_dump(mode="json"),
    )
    assert row["payload"] == envelope.to_bytes()
    assert decode(Envelope.from_bytes(row["payload"])) == EVENT
    assert (row["type"], row["version"], row["key"]) == ("reminder.requested", 1, "t")


def test_ids_drawn_at_once_are_distinct_version_4_uuids() -> None:
    ids = random_uuids(1000)
    assert len(set(ids)) == 1000
    for text in ids[:50]:
        parsed = uuid.UUID(text)
        assert (str(parsed), parsed.version, parsed.variant) == (text, 4, uuid.RFC_4122)
