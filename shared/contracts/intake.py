"""Events published by the intake service (source ``intake``, topic ``<prefix>.intake``).

Every field states its bounds (``shared.contracts.limits``); intake refuses to publish a
notice whose values exceed them, so the tasks service can always store what it receives.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from shared.contracts import limits
from shared.contracts.envelope import Event
from shared.contracts.limits import Heading, LeaderName, UnitName


class Deadline(BaseModel):
    phrase: str = Field(
        max_length=limits.DEADLINE_PHRASE, description="the words of the notice, e.g. 6月底前"
    )
    date: dt.date | None = Field(description="the ISO date it means; null if it could not be dated")
    about: str = Field(
        "",
        max_length=limits.TEXT,
        description="what must happen by then, when the parser could tell",
    )


class Target(BaseModel):
    phrase: str = Field(
        max_length=limits.TARGET_PHRASE,
        description="the words of the notice, e.g. 新增就业7400人以上",
    )
    subject: str = Field(
        "",
        max_length=limits.TARGET_SUBJECT,
        description="what is measured, when the parser could tell",
    )
    comparator: Literal["≥", "≤", "=", "≈"] = "="
    value: float = Field(allow_inf_nan=False)
    value_max: float | None = Field(
        None, allow_inf_nan=False, description="upper bound of a range (3-5万人)"
    )
    unit: str = Field("", max_length=limits.TARGET_UNIT, description="亿元, %, 人, 家, …")


class TaskDefinedV1(Event):
    """A published notice defines one task. Keyed by task_id so later events of the task follow
    it in order."""

    TYPE: ClassVar[str] = "task.defined"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "intake"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str = Field(
        max_length=limits.TASK_ID, description="stable id: document id + task number"
    )
    document_id: str = Field(
        max_length=limits.UUID, description="the published document the task comes from"
    )
    government_id: str = Field(
        "default",
        max_length=limits.GOVERNMENT_ID,
        description="the government (tenant) it belongs to",
    )
    number: str = Field(
        max_length=limits.NUMBER, description="number as printed, e.g. （三） or 12"
    )
    path: list[Heading] = Field(
        default_factory=list, max_length=limits.ITEMS, description="heading path, outermost first"
    )
    text: str = Field(max_length=limits.TEXT, description="the task's text")
    leaders: list[LeaderName] = Field(
        default_factory=list, max_length=limits.ITEMS, description="责任领导"
    )
    lead_units: list[UnitName] = Field(
        default_factory=list, max_length=limits.ITEMS, description="牵头单位"
    )
    responsible_units: list[UnitName] = Field(
        default_factory=list, max_length=limits.ITEMS, description="责任单位"
    )
    cooperating_units: list[UnitName] = Field(
        default_factory=list, max_length=limits.ITEMS, description="配合/协办单位"
    )
    deadlines: list[Deadline] = Field(
        default_factory=list, max_length=limits.ITEMS, description="时间节点"
    )
    targets: list[Target] = Field(
        default_factory=list, max_length=limits.ITEMS, description="量化目标"
    )
    year: int | None = Field(
        None, ge=limits.YEAR_MIN, le=limits.YEAR_MAX, description="the work year of the notice"
    )
    revision: int = Field(1, ge=1, description="1 when first published; +1 per corrected notice")
    actor: str | None = Field(
        None,
        max_length=limits.ACTOR,
        description="who published (or corrected) the notice: a token's name; None before 2026-12",
    )


class DocumentPublishedV1(Event):
    """A reviewed notice was published; its tasks follow as task.defined events."""

    TYPE: ClassVar[str] = "document.published"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "intake"
    KEY_FIELD: ClassVar[str] = "document_id"

    document_id: str = Field(max_length=limits.UUID)
    government_id: str = Field(
        "default",
        max_length=limits.GOVERNMENT_ID,
        description="the government (tenant) it belongs to",
    )
    doc_number: str | None = Field(
        None, max_length=limits.DOC_NUMBER, description="文号, e.g. 偃政〔2022〕7号"
    )
    title: str = Field(max_length=limits.TITLE)
    year: int | None = Field(None, ge=limits.YEAR_MIN, le=limits.YEAR_MAX)
    task_count: int = Field(ge=0)
    issuer: str | None = Field(None, max_length=limits.ISSUER, description="发文机关")
    issued_date: dt.date | None = Field(None, description="成文日期")
    reporting_dates: list[dt.date] = Field(
        default_factory=list,
        max_length=limits.ITEMS,
        description="dates by which units report progress (报送进展)",
    )
    supersedes: str | None = Field(
        None,
        max_length=limits.UUID,
        description="the earlier published document this corrected notice replaces",
    )


class TaskWithdrawnV1(Event):
    """A corrected notice no longer contains a task its earlier version defined."""

    TYPE: ClassVar[str] = "task.withdrawn"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "intake"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str = Field(max_length=limits.TASK_ID)
    document_id: str = Field(
        max_length=limits.UUID, description="the corrected document that withdrew it"
    )
    reason: str = Field("", max_length=limits.TEXT, description="why, in words for the bureau")
    actor: str | None = Field(
        None,
        max_length=limits.ACTOR,
        description="who published the correction; None before 2026-12",
    )
