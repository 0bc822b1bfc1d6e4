"""A draft held to the contract it is published under, in the reviewer's words.

A draft may hold anything the parser read or a reviewer typed; the event it becomes may
not, or the tasks service could not store it. Building the event validates it against its
contract (``shared.contracts.limits``); this module turns what the contract refused into
one sentence per value, naming the task and the field as the review page shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from services.intake.parsing import ParseWarning
from shared.validation import chinese_message

LABELS = {
    "task_id": "任务标识",
    "document_id": "文件标识",
    "government_id": "政府标识",
    "number": "序号",
    "path": "所属章节",
    "text": "任务内容",
    "actor": "发布人",
    "leaders": "责任领导",
    "lead_units": "牵头单位",
    "responsible_units": "责任单位",
    "cooperating_units": "配合单位",
    "deadlines": "时间节点",
    "targets": "量化目标",
    "phrase": "原文",
    "date": "日期",
    "about": "事项",
    "subject": "指标",
    "comparator": "比较符",
    "value": "目标值",
    "value_max": "目标上限",
    "unit": "计量单位",
    "year": "年度",
    "revision": "修订次数",
    "title": "文件标题",
    "doc_number": "文号",
    "issuer": "发文机关",
    "issued_date": "成文日期",
    "reporting_dates": "报送日期",
    "task_count": "任务数",
    "supersedes": "被更正的文件",
}


def where(loc: tuple[int | str, ...]) -> str:
    """("deadlines", 0, "phrase") → “时间节点”第1项的“原文”."""
    words: list[str] = []
    for part in loc:
        if isinstance(part, int):
            words.append(f"第{part + 1}项")
        else:
            words.append(("的" if words else "") + f"“{LABELS.get(part, part)}”")
    return "".join(words)


def sentence(subject: str, error: ErrorDetails) -> str:
    """第3项任务的“所属章节”第1项不能超过 300 个字符."""
    return f"{subject}的{where(tuple(error['loc']))}{chinese_message(dict(error))}"


def problems(build: Callable[[], Any], subject: str, task: str | None) -> list[ParseWarning]:
    """What the contract refuses of the event ``build`` makes, as warnings of the review
    page (``task``: the task's number); empty when it takes it."""
    try:
        build()
    except ValidationError as exc:
        return [
            ParseWarning(code="out_of_bounds", message=sentence(subject, error), task=task)
            for error in exc.errors()
        ]
    return []
