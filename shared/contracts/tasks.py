"""Events published by the tasks service (source ``tasks``, topic ``<prefix>.tasks``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from shared.contracts.envelope import Event


class TaskRegisteredV1(Event):
    """The tasks service took a defined task into its care; notify and reporting start
    following it from here."""

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
