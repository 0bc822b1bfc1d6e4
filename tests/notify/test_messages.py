"""What a reminder says is true (issue 11): the working days it names are those from the day
it is sent to its due date, not the policy step that made it due."""

from __future__ import annotations

from datetime import date

import pytest

from services.notify.messages import reminder_text
from shared.contracts.tasks import DayCount, ReminderRequestedV1

DUE = date(2026, 6, 30)  # a Tuesday


def request(kind: str, step: str, left: dict[date, int]) -> ReminderRequestedV1:
    return ReminderRequestedV1(
        dedup_key=f"{kind}:T1:m1:县住建局:{DUE}:{step}",
        task_id="T1",
        government_id="g",
        kind=kind,
        step=step,
        due_date=DUE,
        units=["县住建局"],
        subject="6月底前",
        task_number="（二）",
        task_text="完成城关污水管网改造",
        workdays_left=[DayCount(date=d, workdays=n) for d, n in left.items()],
    )


@pytest.mark.parametrize(
    ("kind", "step", "sent_on", "left", "says"),
    [
        # the "3 days before" step, sent when 2 working days remain, says 2
        ("before_due", "-3", date(2026, 6, 26), 2, "将于6月30日到期（还有2个工作日）"),
        ("before_due", "-5", date(2026, 6, 23), 5, "还有5个工作日"),
        ("due_today", "0", DUE, 0, "今天（6月30日）到期"),
        # held overnight (quiet hours): sent the day after, it no longer says "today"
        ("due_today", "0", date(2026, 7, 1), -1, "已于6月30日到期，逾期1个工作日"),
        ("overdue", "+1", date(2026, 7, 6), -4, "逾期4个工作日"),
        (
            "escalation",
            "+5",
            date(2026, 7, 7),
            -5,
            "您分管的任务（二）“6月底前”已于6月30日到期，逾期5个工作日",
        ),
    ],
)
def test_the_days_named_are_counted_to_the_day_it_is_sent(
    kind: str, step: str, sent_on: date, left: int, says: str
) -> None:
    text = reminder_text(request(kind, step, {sent_on: left}), sent_on)
    assert says in text


def test_without_the_count_it_names_the_date_only() -> None:
    """An event of an earlier release, or a message sent more than a week late."""
    text = reminder_text(request("before_due", "-3", {}), date(2026, 6, 26))
    assert "截止日期为6月30日" in text and "工作日" not in text
