"""The body of a progress submission, as a unit or its OA system sends it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, StrictFloat, StrictInt

from shared.contracts import limits


class ProgressIn(BaseModel):
    unit: str = Field(min_length=1, max_length=limits.UNIT_NAME, description="报送单位")
    done: str = Field("", max_length=limits.TEXT, description="已完成的工作")
    next_steps: str = Field("", max_length=limits.TEXT, description="下一步计划")
    problems: str = Field("", max_length=limits.TEXT, description="存在的问题")
    support_needed: str = Field("", max_length=limits.TEXT, description="需要协调解决的事项")
    # Strict: "50" or true is not a percent, nor a figure (an OA system's bug, not a report).
    percent: StrictInt = Field(ge=0, le=100, description="本单位完成进度（%）")
    indicator_actuals: dict[str, StrictFloat] = Field(
        default_factory=dict,
        description='指标实际值：键为指标在本任务中的序号（如 "1"）或指标原文，值为数字',
    )
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, description="附件信息（文件名、大小、存储位置）"
    )
