"""Events published by the tasks service (source ``tasks``, topic ``<prefix>.tasks``)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import Field

from shared.contracts.envelope import Event


class TaskRegisteredV1(Event):
    """The tasks service took a defined task into its care (or took in its corrected
    definition); notify and reporting follow it from here."""

    TYPE: ClassVar[str] = "task.registered"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str
    document_id: str
    number: str
    text: str
    units: list[str] = Field(default_factory=list, description="every unit the task names")
    status: str = Field("assigned", description="status after registration")
    government_id: str = Field("default", description="the government (tenant)")
    section: str = Field("", description="the outermost heading of the task")
    leaders: list[str] = Field(default_factory=list, description="责任领导")
    lead_units: list[str] = Field(default_factory=list, description="牵头单位, after expansion")
    due_dates: list[dt.date] = Field(default_factory=list, description="milestone due dates")
    revision: int = Field(1, ge=1, description="1 first; +1 per corrected definition")


class TaskStatusChangedV1(Event):
    """A task moved in its life cycle (签收, 退回, 办结申请, 销号, 暂停, …)."""

    TYPE: ClassVar[str] = "task.status_changed"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str
    government_id: str
    status: str
    previous: str
    reason: str = ""
    actor: str = Field(description="who did it: a token's name")


class AssignmentChangedV1(Event):
    """A unit acknowledged (签收) or returned (退回) its share of a task, or was reassigned."""

    TYPE: ClassVar[str] = "assignment.changed"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str
    government_id: str
    unit: str
    role: str = Field(description="lead, responsible or cooperating")
    status: str = Field(description="assigned, acknowledged, returned or removed")
    note: str = ""
    actor: str


class ProgressSubmittedV1(Event):
    """A unit reported progress on a task (报送进展)."""

    TYPE: ClassVar[str] = "progress.submitted"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    report_id: str
    task_id: str
    government_id: str
    unit: str
    period: str | None = Field(None, description="the reporting round, e.g. 2026-H1")
    percent: int = Field(ge=0, le=100, description="the unit's own figure (%)")
    task_percent: int | None = Field(
        None,
        ge=0,
        le=100,
        description="the task's figure after this report: the mean of the latest figures of "
        "its lead and responsible units (a unit not yet reported counts 0)",
    )
    submitted_at: dt.datetime


class ProgressReviewedV1(Event):
    """The bureau accepted a progress report or returned it with a comment."""

    TYPE: ClassVar[str] = "progress.reviewed"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    report_id: str
    task_id: str
    government_id: str
    unit: str
    status: str = Field(description="accepted or returned")
    comment: str = ""


class TaskUrgedV1(Event):
    """催办 by the bureau (``kind`` urge) or an escalation by policy; notify delivers it."""

    TYPE: ClassVar[str] = "task.urged"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str
    government_id: str
    units: list[str]
    message: str
    kind: str = Field("urge", description="urge, escalation or circular")
    actor: str


class MilestoneRescheduledV1(Event):
    """A milestone's due date moved: an approved extension (延期) or an adjustment."""

    TYPE: ClassVar[str] = "milestone.rescheduled"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str
    government_id: str
    milestone_id: int
    phrase: str
    due_date: dt.date
    previous: dt.date | None
    reason: str
    actor: str


class ReminderRequestedV1(Event):
    """The scheduler asks notify to remind someone. ``dedup_key`` (what, whom, which due
    date, which step) is unique: notify sends at most one message per key."""

    TYPE: ClassVar[str] = "reminder.requested"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    dedup_key: str
    task_id: str
    government_id: str
    kind: str = Field(
        description="before_due, due_today, overdue, report_due, report_missing, "
        "escalation (to the leader) or circular (on the 通报 list)"
    )
    step: str = Field(description="working days relative to the due date: -5, 0, +1, …")
    due_date: dt.date
    units: list[str] = Field(default_factory=list, description="units to remind")
    leaders: list[str] = Field(default_factory=list, description="leaders to tell")
    subject: str = Field(description="what is due: a milestone phrase or a reporting round")
    task_number: str
    task_text: str = Field(description="the task's text, for the message")
    warnings: list[str] = Field(
        default_factory=list, description="e.g. the year's holidays are not loaded yet"
    )


class TaskSignalChangedV1(Event):
    """A task's red / yellow / green signal changed; ``reason`` says why, in words."""

    TYPE: ClassVar[str] = "task.signal_changed"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str
    government_id: str
    signal: str = Field(description="red, yellow or green")
    previous: str
    reason: str


class DirectoryUnitChangedV1(Event):
    """A unit or group of a government's directory was added, changed or removed. Intake
    keeps a copy to check the units a notice names before anyone publishes it."""

    TYPE: ClassVar[str] = "directory.unit_changed"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "government_id:name"

    government_id: str
    name: str
    kind: str = Field("unit", description="unit or group")
    aliases: list[str] = Field(default_factory=list)
    members: list[str] = Field(default_factory=list, description="a group's member units")
    removed: bool = False

    def key(self) -> str:
        return f"{self.government_id}:{self.name}"
