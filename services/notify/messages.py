"""The words of each message, in Chinese, from the request that asks for it. Pure."""

from __future__ import annotations

from shared.contracts.tasks import ReminderRequestedV1


def reminder_text(request: ReminderRequestedV1) -> str:
    task = f"任务{request.task_number}"
    when = f"{request.due_date.month}月{request.due_date.day}日"
    days = request.step.lstrip("+-")
    texts = {
        "before_due": f"【督办提醒】{task}“{request.subject}”将于{when}到期（还有{days}个工作日），"
        "请抓紧推进并及时报送进展。",
        "due_today": f"【督办提醒】{task}“{request.subject}”今天（{when}）到期，请按时完成并报送。",
        "overdue": f"【督办】{task}“{request.subject}”已逾期{days}个工作日，请立即办理并说明情况。",
        "report_due": f"【报送提醒】{request.subject}截止{when}，{task}的进展请按时报送。",
        "report_missing": f"【报送催办】{request.subject}已过截止日期（{when}），"
        f"{task}尚未报送进展。",
        "escalation": f"【督办】您分管的{task}“{request.subject}”已逾期{days}个工作日，"
        "请督促责任单位办理。",
        "circular": f"【督办】{task}“{request.subject}”已逾期{days}个工作日，将列入通报。",
    }
    text = texts.get(request.kind, f"【督办】{task}：{request.subject}")
    return text + "".join(f"（{w}）" for w in request.warnings)


def urge_text(task_number: str | None, message: str) -> str:
    return f"【催办】{message}" if task_number is None else f"【催办】任务{task_number}：{message}"
