"""Quiet hours, digests and rate limits, each with an injected clock: nothing is slept on,
nothing is dropped, nothing is sent twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from delivery_world import (
    MORNING,
    contact,
    deliver_event,
    deliveries,
    reminder,
    robot,
    sender,
    sms,
    wecom,
)

from services.notify.channels.base import RateLimit
from services.notify.delivery.limits import Windows

NIGHT = datetime(2026, 6, 22, 14, 30, tzinfo=UTC)  # 22:30 in Beijing
EIGHT = datetime(2026, 6, 23, 0, 0, tzinfo=UTC)  # 08:00 the next morning


def test_quiet_hours_defer_sms_to_eight_but_not_the_app(notify) -> None:
    contact(notify, owner="县住建局", channels=("sms",))
    contact(notify, owner="县财政局", channels=("wecom_app",))
    text, app = sms(), wecom()
    deliver_event(notify, reminder(units=("县住建局", "县财政局")))
    s = sender(notify, text, app)
    s.drain(NIGHT)
    assert len(app.calls) == 1 and text.calls == []
    held = next(d for d in deliveries(notify) if d.channel == "sms")
    assert (held.status, held.next_attempt_at) == ("deferred", EIGHT)
    assert "免打扰" in held.last_message
    s.drain(EIGHT - timedelta(seconds=1))
    assert text.calls == []
    s.drain(EIGHT)
    assert len(text.calls) == 1


def test_urgent_messages_and_exempt_contacts_are_not_held(notify) -> None:
    contact(notify, owner="县住建局", channels=("sms",))
    contact(notify, owner="县财政局", channels=("sms",), exempt=True)
    text = sms()
    night_day = date(2026, 6, 22)
    deliver_event(
        notify,
        reminder(units=("县住建局",), kind="due_today", due=night_day),  # due today: urgent
        reminder(units=("县住建局",), kind="before_due"),  # held
        reminder(units=("县财政局",), kind="before_due"),  # exempt
    )
    sender(notify, text).drain(NIGHT)
    assert sorted((m.recipient.owner, m.kind) for m in text.calls) == [
        ("县住建局", "due_today"),
        ("县财政局", "before_due"),
    ]


def test_more_than_k_reminders_a_day_become_one_digest(notify) -> None:
    contact(notify)
    app = wecom()
    s = sender(notify, app, digest_after=3)
    deliver_event(notify, *(reminder(task=f"T{n}") for n in range(2)))
    s.drain(MORNING)
    assert len(app.calls) == 2, "within K: one message each"
    deliver_event(notify, *(reminder(task=f"T{n}") for n in range(2, 7)))
    s.drain(MORNING + timedelta(hours=1))
    assert len(app.calls) == 3
    digest = app.calls[-1]
    assert digest.kind == "digest" and len(digest.covers) == 5
    assert "共有5项任务" in digest.body and "/tasks/tasks/T6" in digest.body
    rows = deliveries(notify)
    assert [r.status for r in rows] == ["delivered"] * 7
    assert {r.digest_of for r in rows[3:]} == {rows[2].id}
    assert app.delivered_counts() == {r.id: 1 for r in rows}, "each reminder exactly once"


def test_an_urge_is_never_merged(notify) -> None:
    contact(notify)
    app = wecom()
    deliver_event(notify, *(reminder(task=f"T{n}") for n in range(4)), reminder(kind="urge"))
    sender(notify, app, digest_after=1).drain(MORNING)
    assert sorted((m.kind, len(m.covers)) for m in app.calls) == [("digest", 4), ("urge", 1)]


def test_the_31st_app_message_to_a_member_waits_for_the_next_minute(notify) -> None:
    contact(notify)
    app = wecom()
    deliver_event(notify, *(reminder(kind="urge", task=f"T{n}") for n in range(31)))
    s = sender(notify, app)
    s.drain(MORNING)
    assert len(app.calls) == 30
    waiting = [d for d in deliveries(notify) if d.status == "deferred"]
    assert len(waiting) == 1 and waiting[0].next_attempt_at == MORNING + timedelta(minutes=1)
    s.drain(MORNING + timedelta(seconds=59))
    assert len(app.calls) == 30
    s.drain(MORNING + timedelta(minutes=1))
    assert len(app.calls) == 31
    assert len(set(app.delivered_counts())) == 31


def test_the_robot_sends_twenty_a_minute(notify) -> None:
    for n in range(25):
        contact(notify, owner=f"单位{n}", channels=("wecom_robot",))
    bot = robot()
    deliver_event(notify, reminder(units=tuple(f"单位{n}" for n in range(25)), kind="urge"))
    s = sender(notify, bot)
    s.drain(MORNING)
    assert len(bot.calls) == 20
    s.drain(MORNING + timedelta(seconds=30))
    assert len(bot.calls) == 20
    s.drain(MORNING + timedelta(minutes=1))
    assert len(bot.calls) == 25


def test_windows_keep_every_limit() -> None:
    t0 = MORNING
    windows = Windows([RateLimit(2, 60, True), RateLimit(3, 3600, True)], [])
    for seconds in (0, 1):
        assert windows.allowed_at("u", t0 + timedelta(seconds=seconds)) == t0 + timedelta(
            seconds=seconds
        )
        windows.take("u", t0 + timedelta(seconds=seconds))
    assert windows.allowed_at("u", t0 + timedelta(seconds=2)) == t0 + timedelta(seconds=60)
    windows.take("u", t0 + timedelta(seconds=60))
    assert windows.allowed_at("u", t0 + timedelta(seconds=61)) == t0 + timedelta(hours=1)
    assert windows.allowed_at("other", t0) == t0, "per recipient"
