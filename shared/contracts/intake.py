"""Events published by the intake service (source ``intake``, topic ``<prefix>.intake``)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import BaseModel, Field

from shared.contracts.envelope import Event


class Deadline(BaseModel):
    phrase: str = Field(description="the words of the notice, e.g. 6月底前")
    date: dt.date | None = Field(description="the ISO date it means; null if it could not be dated")
    about: str = Field("", description="what must happen by then, when the parser could tell")


class Target(BaseModel):
    phrase: str = Field(description="the words of the notice, e.g. 新增就业7400人以上")
    subject: str = Field("", description="what is measured, when the parser could tell")
    comparator: str = Field("=", description="≥, ≤, = or ≈")
    value: float
    value_max: float | None = Field(None, description="upper bound of a range (3-5万人)")
    unit: str = Field("", description="亿元, %, 人, 家, …")


class TaskDefinedV1(Event):
    """A published notice defines one task. Keyed by task_id so later events of the task follow
    it in order."""

    TYPE: ClassVar[str] = "task.defined"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "intake"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str = Field(description="stable id: document id + task number")
    document_id: str = Field(description="the published document the task comes from")
    government_id: str = Field("default", description="the government (tenant) it belongs to")
    number: str = Field(description="number as printed, e.g. （三） or 12")
    path: list[str] = Field(default_factory=list, description="heading path, outermost first")
    text: str = Field(description="the task's text")
    leaders: list[str] = Field(default_factory=list, description="责任领导")
    lead_units: list[str] = Field(default_factory=list, description="牵头单位")
    responsible_units: list[str] = Field(default_factory=list, description="责任单位")
    cooperating_units: list[str] = Field(default_factory=list, description="配合/协办单位")
    deadlines: list[Deadline] = Field(default_factory=list, description="时间节点")
    targets: list[Target] = Field(default_factory=list, description="量化目标")
    year: int | None = Field(None, description="the work year of the notice")
    revision: int = Field(1, ge=1, description="1 when first published; +1 per corrected notice")


class DocumentPublishedV1(Event):
    """A reviewed notice was published; its tasks follow as task.defined events."""

    TYPE: ClassVar[str] = "document.published"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "intake"
    KEY_FIELD: ClassVar[str] = "document_id"

    document_id: str
    government_id: str = Field("default", description="the government (tenant) it belongs to")
    doc_number: str | None = Field(None, description="文号, e.g. 偃政〔2022〕7号")
    title: str
    year: int | None = None
    task_count: int = Field(ge=0)
    issuer: str | None = Field(None, description="发文机关")
    issued_date: dt.date | None = Field(None, description="成文日期")
    reporting_dates: list[dt.date] = Field(
        default_factory=list, description="dates by which units report progress (报送进展)"
    )
    supersedes: str | None = Field(
        None, description="the earlier published document this corrected notice replaces"
    )


class TaskWithdrawnV1(Event):
    """A corrected notice no longer contains a task its earlier version defined."""

    TYPE: ClassVar[str] = "task.withdrawn"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "intake"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str
    document_id: str = Field(description="the corrected document that withdrew it")
    reason: str = Field("", description="why, in words for the bureau")
