"""The body of a progress submission, as a unit or its OA system sends it."""

from __future__ import annotations

from pydantic import Field, StrictFloat, StrictInt

from shared.contracts import limits
from shared.validation import ApiModel

ATTACHMENTS = 20  # files one report lists
FILE_NAME = 255
LOCATION = 1000  # where the file is kept: a URL or a path in the OA system
FILE_SIZE = 2**40  # bytes: a terabyte is no attachment


class Attachment(ApiModel):
    """A file the report points to; the file itself stays where the unit keeps it."""

    name: str = Field(min_length=1, max_length=FILE_NAME, description="文件名")
    size: int | None = Field(None, ge=0, le=FILE_SIZE, description="大小（字节）")
    location: str = Field("", max_length=LOCATION, description="存储位置（网址或路径）")


class ProgressIn(ApiModel):
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
    based_on: str | None = Field(
        None,
        max_length=limits.UUID,
        description="预填草稿所依据的上次报送（GET …/progress/draft 带回时可原样保留，不影响报送）",
    )
    attachments: list[Attachment] = Field(
        default_factory=list, max_length=ATTACHMENTS, description="附件：文件名、大小、存储位置"
    )
