"""The words of each message, in Chinese, from the request that asks for it. Pure.

The working days a reminder names are counted from its due date to the day it is sent
(``workdays_left``, given by the tasks service, which owns the calendar), never taken from
the policy step that made it due: a reminder of the "3 days before" step sent when 2 remain
says 2. An event without the count (from an earlier release) names the date only."""

from __future__ import annotations

from datetime import date

from shared.contracts.tasks import ReminderRequestedV1


def _when(due: date) -> str:
    return f"{due.month}月{due.day}日"


def _left(request: ReminderRequestedV1, sent_on: date) -> int | None:
    return next((c.workdays for c in request.workdays_left if c.date == sent_on), None)


def reminder_text(request: ReminderRequestedV1, sent_on: date) -> str:
    task = f"任务{request.task_number}"
    subject, when = request.subject, _when(request.due_date)
    left = _left(request, sent_on)
    if left is None:
        due = f"截止日期为{when}"
    elif left > 0:
        due = f"将于{when}到期（还有{left}个工作日）"
    elif left == 0 and sent_on == request.due_date:
        due = f"今天（{when}）到期"
    elif left == 0:
        due = f"已于{when}到期"
    else:
        due = f"已于{when}到期，逾期{-left}个工作日"
    texts = {
        "before_due": f"【督办提醒】{task}“{subject}”{due}，请抓紧推进并及时报送进展。",
        "due_today": f"【督办提醒】{task}“{subject}”{due}，请按时完成并报送。",
        "overdue": f"【督办】{task}“{subject}”{due}，请立即办理并说明情况。",
        "report_due": f"【报送提醒】{subject}截止{when}，{task}的进展请按时报送。",
        "report_missing": f"【报送催办】{subject}已过截止日期（{when}），{task}尚未报送进展。",
        "escalation": f"【督办】您分管的{task}“{subject}”{due}，请督促责任单位办理。",
        "circular": f"【督办】{task}“{subject}”{due}，将列入通报。",
    }
    text = texts.get(request.kind, f"【督办】{task}：{subject}")
    return text + "".join(f"（{w}）" for w in request.warnings)


def urge_text(task_number: str | None, message: str) -> str:
    return f"【催办】{message}" if task_number is None else f"【催办】任务{task_number}：{message}"
