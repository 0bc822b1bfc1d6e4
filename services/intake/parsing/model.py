"""Output contract of the parser: the truth schema's fields plus what a reviewer needs.

Field names and list conventions follow ../shared/corpus/truth/README.md so that the JSON of
a parsed notice can be compared with a truth file field by field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Comparator = Literal["≥", "≤", "=", "≈"]
UnitRole = Literal["lead", "responsible", "cooperating"]


class Deadline(BaseModel):
    """A time expression that sets when something must happen, resolved to a date."""

    phrase: str
    date: str | None = Field(description="ISO date, or None when it could not be dated")
    about: str = ""


class Target(BaseModel):
    """A quantified goal; ``phrase`` is a verbatim substring of the task text."""

    phrase: str
    subject: str = ""
    comparator: Comparator = "="
    value: float
    value_max: float | None = None
    unit: str = ""


class DocumentTarget(Target):
    """A report's 主要预期目标; a qualitative one ("与经济增长基本同步") has no value.

    Kept apart from :class:`Target` so that a task's targets always carry a number.
    """

    value: float | None = None  # type: ignore[assignment]


class UnitRef(BaseModel):
    """A unit after normalisation: shared prefix made explicit, groups recognised."""

    name: str
    verbatim: str
    role: UnitRole
    is_group: bool = False
    known: bool | None = Field(
        default=None, description="in the unit directory; None: no directory"
    )
    members: list[str] = Field(default_factory=list, description="a group's members, if known")


class ParseWarning(BaseModel):
    """Something a reviewer must look at before publishing; ``message`` is for a clerk."""

    code: str
    message: str
    task: str | None = None


class ReportingRound(BaseModel):
    """One date by which units must report progress, with the phrase it came from."""

    date: str
    phrase: str


class ParsedTask(BaseModel):
    """One numbered task of a notice, or a dated promise of a report (then without units)."""

    number: str
    path: list[str] = Field(default_factory=list)
    text: str
    leaders: list[str] = Field(default_factory=list)
    lead_units: list[str] = Field(default_factory=list)
    responsible_units: list[str] = Field(default_factory=list)
    cooperating_units: list[str] = Field(default_factory=list)
    contacts: list[str] = Field(default_factory=list)
    deadlines: list[Deadline] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    units: list[UnitRef] = Field(default_factory=list)


class ParsedNotice(BaseModel):
    """A parsed document: a task-decomposition notice or a narrative work report."""

    file: str = ""
    kind: Literal["notice", "report"] = "notice"
    doc_number: str | None = None
    issuer: str | None = None
    title: str | None = None
    issued_date: str | None = None
    year: int | None = None
    recipients: str | None = None
    reporting_requirements: list[str] = Field(default_factory=list)
    reporting_rounds: list[ReportingRound] = Field(default_factory=list)
    task_count: int = 0
    tasks: list[ParsedTask] = Field(default_factory=list)
    targets: list[DocumentTarget] = Field(
        default_factory=list, description="document-level targets (a report's 主要预期目标)"
    )
    warnings: list[ParseWarning] = Field(default_factory=list)
