"""What the parser says of a draft once a reviewer has corrected it: the rules of a fresh
parse, applied to the corrected tasks. A correction of a task's units or leaders re-derives
the normalised units and every warning that follows from the tasks (no unit, an undated
deadline, a unit the directory lacks, a leader left out, a unit spelt two ways); warnings
about the text itself (an unknown label, no year, a missing attachment) stay as read."""

from __future__ import annotations

from services.intake.parsing.directory import UnitDirectory, apply_directory
from services.intake.parsing.model import ParsedNotice, ParsedTask, ParseWarning
from services.intake.parsing.notice import across_tasks_warnings
from services.intake.parsing.tasks import normalised_units, task_warnings
from services.intake.parsing.units import issuer_places

FROM_THE_TASKS = frozenset(
    {
        "NO_LEAD_UNIT",
        "UNDATED_DEADLINE",
        "UNKNOWN_UNIT",
        "UNKNOWN_GROUP",
        "NO_LEADER",
        "UNIT_VARIANT",
    }
)


def reviewed(
    tasks: list[ParsedTask],
    warnings: list[ParseWarning],
    issuer: str | None,
    directory: UnitDirectory | None,
) -> ParsedNotice:
    """The tasks with their units derived again, and the document's warnings: those about
    the text as they were, those about the tasks derived again."""
    places = issuer_places(issuer)
    fresh: list[ParseWarning] = []
    for task in tasks:
        task.units = normalised_units(task, places)
        task_warnings(task, [], fresh)
    fresh.extend(across_tasks_warnings(tasks))
    kept = [w for w in warnings if w.code not in FROM_THE_TASKS]
    notice = ParsedNotice(tasks=tasks, warnings=kept + fresh)
    return apply_directory(notice, directory) if directory is not None else notice
