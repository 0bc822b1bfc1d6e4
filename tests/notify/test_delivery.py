"""Every outcome a channel can give leads to the right end, and never to two deliveries:
delivered once; retried then delivered; failed → the next channel; failed everywhere →
failed with an event; in doubt → resent only where the channel deduplicates itself."""

from __future__ import annotations

from datetime import timedelta

from delivery_world import (
    MORNING,
    attempts,
    contact,
    deliver_event,
    deliveries,
    events,
    oa,
    reminder,
    sender,
    sms,
    wecom,
)

from services.notify.channels.base import Outcome
from services.notify.delivery.planning import plan_notices
from services.notify.delivery.sender import PassReport
from shared.contracts.tasks import ProgressSubmittedV1


def test_a_reminder_is_delivered_once_with_its_words_and_link(notify) -> None:
    contact(notify)
    app = wecom()
    deliver_event(notify, reminder())
    report = sender(notify, app, sms()).drain(MORNING)
    assert report.outcomes == {"delivered": 1}
    (message,) = app.calls
    assert message.recipient.wecom_userid == "zhangsan"
    assert "任务（二）" in message.body and "6月30日" in message.body
    assert message.link == "http://127.0.0.1:8000/tasks/tasks/T1"
    assert message.link in message.body
    (row,) = deliveries(notify)
    assert (row.status, row.channel, row.attempts, row.provider_id) == (
        "delivered",
        "wecom_app",
        1,
        "m1",
    )
    sent = events(notify)["notification.sent"]
    assert [e["delivery_id"] for e in sent] == [row.id]


def test_a_redelivered_event_and_a_restarted_sender_deliver_once(notify) -> None:
    contact(notify)
    app = wecom()
    event = reminder()
    deliver_event(notify, event)
    sender(notify, app).drain(MORNING)
    deliver_event(notify, event)  # the same request again, under a new event id
    deliver_event(notify, event)
    sender(notify, app).drain(MORNING + timedelta(minutes=1))  # a new sender: a restart
    sender(notify, app).drain(MORNING + timedelta(hours=5))
    assert len(app.calls) == 1
    assert len(deliveries(notify)) == 1


def test_a_transient_failure_is_retried_with_backoff_then_delivered(notify) -> None:
    contact(notify)
    app = wecom(script=[Outcome.retry("-1", "系统繁忙"), Outcome.retry("45009", "频率超限")])
    deliver_event(notify, reminder())
    s = sender(notify, app)
    s.drain(MORNING)
    (row,) = deliveries(notify)
    assert row.status == "pending" and row.next_attempt_at == MORNING + timedelta(seconds=10)
    s.drain(MORNING + timedelta(seconds=5))
    assert len(app.calls) == 1, "not before its time"
    s.drain(MORNING + timedelta(seconds=10))
    s.drain(MORNING + timedelta(seconds=30))
    assert len(app.calls) == 3
    (row,) = deliveries(notify)
    assert (row.status, row.attempts) == ("delivered", 3)
    assert [a.outcome for a in attempts(notify)] == ["retry", "retry", "delivered"]


def test_a_permanent_failure_falls_back_to_the_next_channel(notify) -> None:
    contact(notify)
    app = wecom(script=[Outcome.failed("81013", "用户不存在", invalid_recipient=True)])
    text = sms()
    deliver_event(notify, reminder())
    sender(notify, app, text).drain(MORNING)
    assert len(app.calls) == 1 and len(text.calls) == 1
    first, second = deliveries(notify)
    assert (first.channel, first.status) == ("wecom_app", "failed")
    assert "改由短信发送" in first.last_message
    assert (second.channel, second.status, second.previous_id) == ("sms", "delivered", first.id)
    assert "notification.failed" not in events(notify)


def test_running_out_of_time_falls_back(notify) -> None:
    contact(notify)
    app = wecom(default=Outcome.retry("-1", "系统繁忙"))
    text = sms()
    deliver_event(notify, reminder())
    s = sender(notify, app, text, retry_window_s=60)
    for seconds in range(0, 200, 5):
        s.drain(MORNING + timedelta(seconds=seconds))
    assert len(text.calls) == 1
    assert [d.status for d in deliveries(notify)] == ["failed", "delivered"]
    assert "重试至期限仍未成功" in deliveries(notify)[0].last_message


def test_failing_everywhere_ends_failed_with_an_event(notify) -> None:
    contact(notify)
    app = wecom(default=Outcome.failed("81013", "用户不存在"))
    text = sms(default=Outcome.failed("isv.MOBILE_NUMBER_ILLEGAL", "手机号码格式错误"))
    deliver_event(notify, reminder())
    sender(notify, app, text).drain(MORNING)
    assert [d.status for d in deliveries(notify)] == ["failed", "failed"]
    (failed,) = events(notify)["notification.failed"]
    assert (failed["outcome"], failed["channel"], failed["code"]) == (
        "failed",
        "sms",
        "isv.MOBILE_NUMBER_ILLEGAL",
    )


def test_an_sms_in_doubt_is_never_sent_again(notify) -> None:
    contact(notify, channels=("sms", "wecom_app"))
    text = sms(script=[Outcome.in_doubt("timeout", "请求超时")])
    app = wecom()
    deliver_event(notify, reminder())
    s = sender(notify, text, app)
    for hours in range(0, 30, 3):
        s.drain(MORNING + timedelta(hours=hours))
    assert len(text.calls) == 1 and app.calls == [], "no second SMS, and no fallback either"
    (row,) = deliveries(notify)
    assert row.status == "in_doubt" and "请核实" in row.last_message
    assert events(notify)["notification.failed"][0]["outcome"] == "in_doubt"


def test_a_channel_that_raises_is_in_doubt(notify) -> None:
    contact(notify, channels=("sms",))
    text = sms(script=[TimeoutError("read timeout for 13912345678")])
    deliver_event(notify, reminder())
    sender(notify, text).drain(MORNING)
    assert deliveries(notify)[0].status == "in_doubt"


def test_in_doubt_on_a_self_deduplicating_channel_is_resent(notify) -> None:
    contact(notify)
    app = wecom(script=[Outcome.in_doubt("timeout", "请求超时")])
    deliver_event(notify, reminder())
    s = sender(notify, app)
    s.drain(MORNING)
    s.drain(MORNING + timedelta(minutes=1))
    assert len(app.calls) == 2 and app.calls[0].key == app.calls[1].key, "same provider key"
    assert deliveries(notify)[0].status == "delivered"


def test_a_sender_that_died_mid_call_leaves_an_attempt_and_no_second_sms(notify) -> None:
    contact(notify, channels=("sms",))
    contact(notify, owner="县财政局")  # wecom: safe to resend
    deliver_event(notify, reminder(units=("县住建局", "县财政局")))
    text, app = sms(), wecom()
    s = sender(notify, text, app)
    # a pass that claims and then dies before any call: the claim is committed
    with notify.sessions.begin() as session:
        plan_notices(session, s.channels, s.order, MORNING, s.window, 100)
    with notify.sessions.begin() as session:
        claimed = s._claim(session, MORNING, "dead-pass", PassReport())
    assert len(claimed) == 2
    assert {a.outcome for a in attempts(notify)} == {"sending"}, "visible before the call"
    s.drain(MORNING + timedelta(seconds=30))  # within the lease: nothing happens
    assert text.calls == [] and app.calls == []
    s.drain(MORNING + timedelta(minutes=2))  # the lease ran out
    by_owner = {d.owner: d for d in deliveries(notify)}
    assert by_owner["县住建局"].status == "in_doubt", "an SMS is not resent"
    assert by_owner["县财政局"].status == "delivered" and len(app.calls) == 1
    assert text.calls == []


def test_a_unit_without_contacts_is_reported_not_skipped(notify) -> None:
    deliver_event(notify, reminder(units=("县住建局",)))
    sender(notify, wecom()).drain(MORNING)
    (row,) = deliveries(notify)
    assert (row.status, row.last_message) == ("skipped", "县住建局未登记联系人")
    (failed,) = events(notify)["notification.failed"]
    assert (failed["outcome"], failed["reason"]) == ("skipped", "县住建局未登记联系人")


def test_a_contact_without_a_reachable_channel_is_reported(notify) -> None:
    contact(notify, channels=("wecom_app",), userid=None)
    deliver_event(notify, reminder())
    sender(notify, wecom()).drain(MORNING)
    (row,) = deliveries(notify)
    assert row.status == "skipped" and "没有可用的接收渠道" in row.last_message


def test_an_escalation_goes_to_the_leaders_contact(notify) -> None:
    contact(notify, owner="王明", owner_kind="leader", post="本人", userid="wangming")
    app = wecom()
    deliver_event(notify, reminder(units=(), leaders=("王明",), kind="escalation"))
    sender(notify, app).drain(MORNING)
    assert [m.recipient.wecom_userid for m in app.calls] == ["wangming"]


def test_progress_closes_the_oa_todo_once(notify) -> None:
    contact(notify, channels=("oa_todo",), oa_account="zj-oa")
    todo = oa()
    deliver_event(notify, reminder())
    s = sender(notify, todo)
    s.drain(MORNING)
    report = ProgressSubmittedV1(
        report_id="r1",
        task_id="T1",
        government_id="gov-a",
        unit="县住建局",
        percent=50,
        submitted_at=MORNING,
    )
    deliver_event(notify, report)
    deliver_event(notify, report.model_copy(update={"report_id": "r2"}))
    s.drain(MORNING + timedelta(minutes=1))
    kinds = [(m.kind, m.refers_to) for m in todo.calls]
    first = deliveries(notify)[0].id
    assert kinds == [("before_due", None), ("todo_done", first)]
