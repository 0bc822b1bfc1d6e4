"""Notify owes one notice per request and recipient, with its Chinese text, however often
the request arrives."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from helpers import as_records
from sqlalchemy import select

from services.notify.handlers import BEIJING
from services.notify.models import Notice
from services.notify.spec import SPEC
from shared.config import Settings
from shared.contracts.reporting import DigestItem, LeaderDigestRequestedV1
from shared.contracts.tasks import DayCount, ReminderRequestedV1, TaskUrgedV1
from shared.service import ServiceRuntime


def notify(tmp_path: Path) -> ServiceRuntime:
    runtime = ServiceRuntime(SPEC, Settings(data_dir=tmp_path), bus=None)  # type: ignore[arg-type]
    runtime.migrate()
    return runtime


def request(kind: str = "overdue", step: str = "+4") -> ReminderRequestedV1:
    return ReminderRequestedV1(
        dedup_key=f"{kind}:T1:m1:县住建局:2022-10-10:{step}",
        task_id="T1",
        government_id="g",
        kind=kind,
        step=step,
        due_date=date(2022, 10, 10),
        units=["县住建局", "县财政局"],
        subject="10月10日前",
        task_number="（二）",
        task_text="完成城关污水管网改造",
        warnings=["2027年法定节假日安排尚未录入，暂按周末计算工作日"],
        workdays_left=[DayCount(date=datetime.now(BEIJING).date(), workdays=-4)],
    )


def notices(runtime: ServiceRuntime) -> list[Notice]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Notice).order_by(Notice.id)))


def test_a_reminder_owes_each_unit_one_notice_with_its_words(tmp_path: Path) -> None:
    runtime = notify(tmp_path)
    event = request()
    for _ in range(2):  # delivered twice under two event ids: a replay
        envelope = event.envelope()
        runtime.subscriber(as_records(envelope))
    owed = notices(runtime)
    assert [n.unit for n in owed] == ["县住建局", "县财政局"]
    assert owed[0].body.startswith("【督办】任务（二）“10月10日前”已于10月10日到期，逾期4个工作日")
    assert "尚未录入" in owed[0].body and owed[0].due_date == date(2022, 10, 10)


def test_an_escalation_goes_to_the_leader_and_an_urge_to_the_units(tmp_path: Path) -> None:
    runtime = notify(tmp_path)
    escalation = request("escalation", "+5").model_copy(update={"units": [], "leaders": ["王明"]})
    runtime.subscriber(as_records(escalation.envelope()))
    runtime.subscriber(
        as_records(
            TaskUrgedV1(
                task_id="T1",
                government_id="g",
                units=["县住建局"],
                message="请于本周五前报送整改情况",
                actor="督查室",
            ).envelope()
        )
    )
    runtime.subscriber(
        as_records(
            TaskUrgedV1(
                task_id="T1",
                government_id="g",
                units=["县住建局"],
                message="逾期",
                kind="escalation",
                actor="系统",
            ).envelope()
        )
    )
    owed = [(n.unit, n.recipient_kind, n.kind) for n in notices(runtime)]
    assert owed == [("王明", "leader", "escalation"), ("县住建局", "unit", "urge")]
    assert notices(runtime)[0].body.startswith("【督办】您分管的任务（二）")


def test_a_leader_s_daily_digest_is_one_message_to_the_leader(tmp_path: Path) -> None:
    runtime = notify(tmp_path)
    items = [
        DigestItem(task_id=f"T{n}", number=f"（{n}）", text="完成城关污水管网改造", reason="已逾期")
        for n in (1, 2, 3)
    ]
    digest = LeaderDigestRequestedV1(
        dedup_key="g:王明:2026-06-30",
        government_id="g",
        leader="王明",
        day=date(2026, 6, 30),
        subject="6月30日分管任务红灯情况",
        items=items,
    )
    for _ in range(2):  # a replay owes nothing more
        runtime.subscriber(as_records(digest.envelope()))
    (owed,) = notices(runtime)
    assert (owed.unit, owed.recipient_kind, owed.kind) == ("王明", "leader", "leader_digest")
    assert "共3项" in owed.body and "（3）" in owed.body
    assert any(t.endswith(".reporting") for t in runtime.subscribed_topics), "follows reporting"
