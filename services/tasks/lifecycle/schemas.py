"""Request and response bodies of the tasks API (field descriptions in Chinese for the docs).

What a request carries into an event is bounded as its contract bounds it
(``shared.contracts.limits``): input that would exceed a contract is refused with 422 before
anything is written, never while the event is built."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import limits
from shared.contracts.limits import UnitName
from shared.validation import ApiModel, Day

REASON = 2000  # what a person types as a reason, a comment or a 催办 (events take limits.TEXT)


class Orm(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AssignmentOut(Orm):
    id: int
    unit: str
    role: str
    via_group: str | None
    status: str
    note: str
    percent: int = Field(description="本单位最近一次报送的进度（%）")
    reported_at: datetime | None = Field(description="本单位最近一次报送的时间")


class MilestoneOut(Orm):
    id: int
    phrase: str
    about: str
    due_date: date | None
    original_due_date: date | None
    status: str


class IndicatorOut(Orm):
    id: int
    number: int = Field(description="本任务中的指标序号；报送实际值时按序号或原文填写")
    phrase: str
    subject: str
    comparator: str
    target_value: float
    target_max: float | None
    unit: str
    actual_value: float | None


class ReportOut(Orm):
    id: str
    task_id: str
    unit: str
    round_id: int | None
    done: str
    next_steps: str
    problems: str
    support_needed: str
    percent: int
    indicator_actuals: dict[str, float]
    attachments: list[dict[str, Any]]
    submitted_by: str
    submitted_at: datetime
    status: str
    review_comment: str


class RoundOut(Orm):
    id: int
    document_id: str
    period: str
    due_date: date
    source: str = Field(description="notice 通知规定；policy 默认（季末）")


class ExtensionOut(Orm):
    id: int
    milestone_id: int = Field(ge=1, le=2**31 - 1, description="时间节点编号")
    unit: str
    requested_date: date
    reason: str
    status: str
    comment: str


class TimelineEntry(Orm):
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class TaskSummary(Orm):
    id: str
    government_id: str
    document_id: str
    number: str
    section: str
    text: str
    leaders: list[str]
    status: str
    signal: str
    signal_reason: str
    percent_done: int = Field(description="任务进度（%），按 percent_rule 计算")
    exempt_reminders: bool
    units: list[str] = Field(default_factory=list, description="交办单位（牵头在前）")
    next_due: date | None = Field(None, description="最近的未完成时间节点")


class TaskDetail(TaskSummary):
    path: list[str]
    percent_rule: str = Field(description="任务进度的计算规则")
    started_on: date | None = Field(description="序时进度的起算日")
    status_reason: str
    year: int | None
    revision: int
    assignments: list[AssignmentOut]
    milestones: list[MilestoneOut]
    indicators: list[IndicatorOut]
    reports: list[ReportOut]
    extensions: list[ExtensionOut]
    timeline: list[TimelineEntry]


class UnitAction(ApiModel):
    unit: str = Field(min_length=1, max_length=limits.UNIT_NAME, description="办理单位")


class ReturnIn(UnitAction):
    reason: str = Field(min_length=1, max_length=REASON, description="退回理由")


class ReassignIn(ApiModel):
    unit: str = Field(min_length=1, max_length=limits.UNIT_NAME, description="原单位")
    new_unit: str = Field(min_length=1, max_length=limits.UNIT_NAME, description="改派给")
    reason: str = Field(min_length=1, max_length=REASON, description="改派理由")


class CompletionRequestIn(UnitAction):
    summary: str = Field(min_length=1, max_length=limits.TEXT, description="办结情况说明")


class DecisionIn(ApiModel):
    approve: bool = Field(description="true 同意，false 不同意")
    comment: str = Field("", max_length=REASON, description="审核意见")


class ReasonIn(ApiModel):
    reason: str = Field(min_length=1, max_length=REASON, description="理由")


class ExtensionIn(UnitAction):
    milestone_id: int = Field(ge=1, le=2**31 - 1, description="时间节点编号")
    requested_date: Day = Field(description="申请延期至（YYYY-MM-DD，1900—2100 年）")
    reason: str = Field(min_length=1, max_length=REASON, description="延期理由")


class AdjustIn(ApiModel):
    due_date: Day = Field(description="新的时限（YYYY-MM-DD，1900—2100 年）")
    reason: str = Field(
        min_length=1, max_length=REASON, pattern=r"\S", description="调整理由（必填，留痕）"
    )


class UrgeIn(ApiModel):
    message: str = Field(min_length=1, max_length=REASON, description="催办内容")
    units: list[UnitName] = Field(
        default_factory=list, description="催办单位；为空则催办全部牵头、责任单位"
    )


class ExemptionIn(ApiModel):
    exempt: bool = Field(description="true 免于提醒")
    reason: str = Field(min_length=1, max_length=REASON)


class ReviewIn(ApiModel):
    accept: bool = Field(description="true 采纳，false 退回")
    comment: str = Field("", max_length=REASON, description="审核意见；退回时必填")
