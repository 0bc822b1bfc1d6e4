"""The built-in wording of every kind of message: a government that never edits a template
sends these. Each names the task, its due date and what to do, with the link to the task's
page where progress is submitted (``{link}``)."""

from __future__ import annotations

# kind → (title, body). Fields: see FIELDS.
DEFAULTS: dict[str, tuple[str, str]] = {
    "task_assigned": ("新任务交办", "{notice}\n查看并签收：{link}"),
    "before_due": ("督办提醒", "{notice}\n报送进展：{link}"),
    "due_today": ("今日到期", "{notice}\n报送进展：{link}"),
    "overdue": ("逾期督办", "{notice}\n请立即办理并报送进展：{link}"),
    "report_due": ("报送提醒", "{notice}\n报送进展：{link}"),
    "report_missing": ("报送催办", "{notice}\n请立即报送：{link}"),
    "escalation": ("督办升级", "{notice}\n查看任务：{link}"),
    "circular": ("通报预警", "{notice}\n请立即办理：{link}"),
    "urge": ("催办", "{notice}\n办理并报送进展：{link}"),
    "digest": (
        "督办提醒汇总",
        "【督办提醒】您今天共有{count}项任务需要办理：\n{tasks}\n请逐项报送进展：{portal}",
    ),
    "todo_done": ("待办已办结", "任务{task_number}已报送进展，此待办已办结。"),
    "leader_digest": ("分管任务红灯日报", "{notice}\n查看全部：{portal}"),
}
GENERIC = ("督办通知", "{notice}\n{link}")

FIELDS = {
    "notice": "通知正文（含任务、时间节点与到期情况）",
    "task_number": "任务序号",
    "subject": "时间节点或报送轮次",
    "due": "到期日期，如 6月30日",
    "link": "任务页面（报送进展）链接",
    "portal": "系统首页链接",
    "owner": "收件单位或领导",
    "post": "收件人岗位",
    "name": "收件人姓名",
    "count": "汇总的任务数（汇总消息）",
    "tasks": "汇总的任务清单，每行一项（汇总消息）",
}
