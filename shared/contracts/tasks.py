"""Events published by the tasks service (source ``tasks``, topic ``<prefix>.tasks``).

Every field states its bounds (``shared.contracts.limits``); the tasks API refuses input
that would exceed them (422) instead of failing while it writes the event. Lists of units
are bounded per entry only: the service expands groups into them, and a cap on their length
would be a failure the bureau could not fix.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from shared.contracts import limits
from shared.contracts.envelope import Event
from shared.contracts.limits import LeaderName, Note, UnitName

Signal = Literal["red", "yellow", "green"]


class TaskRegisteredV1(Event):
    """The tasks service took a defined task into its care (or took in its corrected
    definition); notify and reporting follow it from here."""

    TYPE: ClassVar[str] = "task.registered"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str = Field(max_length=limits.TASK_ID)
    document_id: str = Field(max_length=limits.UUID)
    number: str = Field(max_length=limits.NUMBER)
    text: str = Field(max_length=limits.TEXT)
    units: list[UnitName] = Field(default_factory=list, description="every unit the task names")
    status: str = Field("assigned", max_length=limits.WORD, description="status after registration")
    government_id: str = Field(
        "default", max_length=limits.GOVERNMENT_ID, description="the government (tenant)"
    )
    section: str = Field(
        "", max_length=limits.SECTION, description="the outermost heading of the task"
    )
    leaders: list[LeaderName] = Field(default_factory=list, description="责任领导")
    lead_units: list[UnitName] = Field(
        default_factory=list, description="牵头单位, after expansion"
    )
    due_dates: list[dt.date] = Field(default_factory=list, description="milestone due dates")
    revision: int = Field(1, ge=1, description="1 first; +1 per corrected definition")
    responsible_units: list[UnitName] = Field(
        default_factory=list,
        description="责任单位, after expansion (added 2026-12; empty in earlier events: every "
        "unit of ``units`` not a lead unit was then taken as responsible)",
    )
    cooperating_units: list[UnitName] = Field(
        default_factory=list, description="配合单位, after expansion (added 2026-12)"
    )


class TaskStatusChangedV1(Event):
    """A task moved in its life cycle (签收, 退回, 办结申请, 销号, 暂停, …)."""

    TYPE: ClassVar[str] = "task.status_changed"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str = Field(max_length=limits.TASK_ID)
    government_id: str = Field(max_length=limits.GOVERNMENT_ID)
    status: str = Field(max_length=limits.WORD)
    previous: str = Field(max_length=limits.WORD)
    reason: str = Field("", max_length=limits.TEXT)
    actor: str = Field(max_length=limits.ACTOR, description="who did it: a token's name")


class AssignmentChangedV1(Event):
    """A unit acknowledged (签收) or returned (退回) its share of a task, or was reassigned."""

    TYPE: ClassVar[str] = "assignment.changed"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str = Field(max_length=limits.TASK_ID)
    government_id: str = Field(max_length=limits.GOVERNMENT_ID)
    unit: str = Field(max_length=limits.UNIT_NAME)
    role: str = Field(max_length=limits.WORD, description="lead, responsible or cooperating")
    status: str = Field(
        max_length=limits.WORD, description="assigned, acknowledged, returned or removed"
    )
    note: str = Field("", max_length=limits.TEXT)
    actor: str = Field(max_length=limits.ACTOR)


class IndicatorActual(BaseModel):
    """A reported actual figure of one of the task's indicators (量化目标), by its number
    within the task (1 for the first target the notice prints)."""

    number: int = Field(ge=1, le=limits.ITEMS)
    value: float = Field(allow_inf_nan=False)


class ProgressSubmittedV1(Event):
    """A unit reported progress on a task (报送进展)."""

    TYPE: ClassVar[str] = "progress.submitted"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    report_id: str = Field(max_length=limits.UUID)
    task_id: str = Field(max_length=limits.TASK_ID)
    government_id: str = Field(max_length=limits.GOVERNMENT_ID)
    unit: str = Field(max_length=limits.UNIT_NAME)
    period: str | None = Field(
        None, max_length=limits.PERIOD, description="the reporting round, e.g. 2026-H1"
    )
    percent: int = Field(ge=0, le=100, description="the unit's own figure (%)")
    task_percent: int | None = Field(
        None,
        ge=0,
        le=100,
        description="the task's figure after this report: the mean of the latest figures of "
        "its lead and responsible units (a unit not yet reported counts 0)",
    )
    submitted_at: dt.datetime
    done: str = Field(
        "", max_length=limits.TEXT, description="已完成的工作: the report's words (added 2026-12)"
    )
    problems: str = Field("", max_length=limits.TEXT, description="存在的问题 (added 2026-12)")
    indicator_actuals: list[IndicatorActual] = Field(
        default_factory=list,
        max_length=limits.ITEMS,
        description="actual figures of the task's indicators (added 2026-12)",
    )


class ProgressReviewedV1(Event):
    """The bureau accepted a progress report or returned it with a comment."""

    TYPE: ClassVar[str] = "progress.reviewed"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    report_id: str = Field(max_length=limits.UUID)
    task_id: str = Field(max_length=limits.TASK_ID)
    government_id: str = Field(max_length=limits.GOVERNMENT_ID)
    unit: str = Field(max_length=limits.UNIT_NAME)
    status: str = Field(max_length=limits.WORD, description="accepted or returned")
    comment: str = Field("", max_length=limits.TEXT)


class TaskUrgedV1(Event):
    """催办 by the bureau (``kind`` urge) or an escalation by policy; notify delivers it."""

    TYPE: ClassVar[str] = "task.urged"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str = Field(max_length=limits.TASK_ID)
    government_id: str = Field(max_length=limits.GOVERNMENT_ID)
    units: list[UnitName]
    message: str = Field(max_length=limits.TEXT)
    kind: str = Field("urge", max_length=limits.WORD, description="urge, escalation or circular")
    actor: str = Field(max_length=limits.ACTOR)


class MilestoneRescheduledV1(Event):
    """A milestone's due date moved: an approved extension (延期) or an adjustment."""

    TYPE: ClassVar[str] = "milestone.rescheduled"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str = Field(max_length=limits.TASK_ID)
    government_id: str = Field(max_length=limits.GOVERNMENT_ID)
    milestone_id: int
    phrase: str = Field(max_length=limits.DEADLINE_PHRASE)
    due_date: dt.date
    previous: dt.date | None
    reason: str = Field(max_length=limits.TEXT)
    actor: str = Field(max_length=limits.ACTOR)


class DayCount(BaseModel):
    """On ``date``, ``workdays`` working days remain to a due date (negative: overdue)."""

    date: dt.date
    workdays: int = Field(ge=-100_000, le=100_000)


class ReminderRequestedV1(Event):
    """The scheduler asks notify to remind someone. ``dedup_key`` (what, whom, which due
    date, which step) is unique: notify sends at most one message per key."""

    TYPE: ClassVar[str] = "reminder.requested"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    dedup_key: str = Field(max_length=limits.DEDUP_KEY)
    task_id: str = Field(max_length=limits.TASK_ID)
    government_id: str = Field(max_length=limits.GOVERNMENT_ID)
    kind: str = Field(
        max_length=limits.WORD,
        description="before_due, due_today, overdue, report_due, report_missing, "
        "escalation (to the leader) or circular (on the 通报 list)",
    )
    step: str = Field(
        max_length=limits.STEP, description="working days relative to the due date: -5, 0, +1, …"
    )
    due_date: dt.date
    units: list[UnitName] = Field(default_factory=list, description="units to remind")
    leaders: list[LeaderName] = Field(default_factory=list, description="leaders to tell")
    subject: str = Field(
        max_length=limits.DEADLINE_PHRASE,
        description="what is due: a milestone phrase or a reporting round",
    )
    task_number: str = Field(max_length=limits.NUMBER)
    task_text: str = Field(max_length=limits.TEXT, description="the task's text, for the message")
    warnings: list[Note] = Field(
        default_factory=list, description="e.g. the year's holidays are not loaded yet"
    )
    workdays_left: list[DayCount] = Field(
        default_factory=list,
        max_length=31,
        description="working days from each day (the scan's and the week after) to the due "
        "date, negative when overdue: what a message sent that day says (the step that made "
        "it due may be further away). Empty in events of earlier releases: say the date only",
    )


class TaskSignalChangedV1(Event):
    """A task's red / yellow / green signal changed; ``reason`` says why, in words."""

    TYPE: ClassVar[str] = "task.signal_changed"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "task_id"

    task_id: str = Field(max_length=limits.TASK_ID)
    government_id: str = Field(max_length=limits.GOVERNMENT_ID)
    signal: Signal
    previous: Signal
    reason: str = Field(max_length=limits.TEXT)


class DirectoryUnitChangedV1(Event):
    """A unit or group of a government's directory was added, changed or removed. Intake
    keeps a copy to check the units a notice names before anyone publishes it."""

    TYPE: ClassVar[str] = "directory.unit_changed"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "government_id:name"

    government_id: str = Field(max_length=limits.GOVERNMENT_ID)
    name: str = Field(max_length=limits.UNIT_NAME)
    kind: Literal["unit", "group"] = "unit"
    aliases: list[UnitName] = Field(default_factory=list)
    members: list[UnitName] = Field(default_factory=list, description="a group's member units")
    removed: bool = False

    def key(self) -> str:
        return f"{self.government_id}:{self.name}"


class TokenIssuedV1(Event):
    """An API token was issued. Every service keeps a copy of the tokens from these events
    and verifies a request by itself (``shared.identity``): never the token, only its
    SHA-256 hash and what it speaks for."""

    TYPE: ClassVar[str] = "access.token_issued"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "token_id"

    token_id: int = Field(ge=1)
    token_hash: str = Field(min_length=64, max_length=64, description="SHA-256, hex")
    name: str = Field(max_length=limits.ACTOR)
    role: Literal["admin", "supervisor", "unit", "leader", "integration"]
    government_id: str | None = Field(None, max_length=limits.GOVERNMENT_ID)
    unit: str | None = Field(None, max_length=limits.UNIT_NAME)
    leader: str | None = Field(None, max_length=limits.LEADER_NAME)
    units: list[UnitName] = Field(default_factory=list, description="an OA system's units")
    expires_at: dt.datetime | None = Field(None, description="None: until revoked")


class TokenRevokedV1(Event):
    """An API token was revoked: every service refuses it from now on (within its 30 s
    principal cache)."""

    TYPE: ClassVar[str] = "access.token_revoked"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "token_id"

    token_id: int = Field(ge=1)
    token_hash: str = Field(min_length=64, max_length=64, description="SHA-256, hex")
    revoked_at: dt.datetime


class SessionRevokedV1(Event):
    """A person's login session ended before its time (logout, password reset or change,
    lock-out, account disabled): every service refuses its cookie from now on (within its
    30 s cache). A session itself is never announced: its cookie is signed with
    ``DUBAN_SESSION_KEY`` and every service verifies it alone; only the end is news.
    Never the session id, only the SHA-256 of ``"session:" + id``."""

    TYPE: ClassVar[str] = "access.session_revoked"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[str] = "tasks"
    KEY_FIELD: ClassVar[str] = "session_id"

    session_id: int = Field(ge=1, description="the tasks service's number of the session")
    session_hash: str = Field(min_length=64, max_length=64, description="SHA-256, hex")
    account_id: int = Field(ge=1)
    revoked_at: dt.datetime
    expires_at: dt.datetime = Field(description="its absolute end: the copy may drop it after")
    reason: Literal["logout", "password", "locked", "disabled", "expired"]
