"""What a corrected notice changes against the published one: the reviewer sees this before
publishing, and only changed or added tasks are published again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.intake.models import DraftTask

COMPARED_FIELDS = (
    "path",
    "text",
    "leaders",
    "lead_units",
    "responsible_units",
    "cooperating_units",
    "deadlines",
    "targets",
)


def task_key(task: DraftTask) -> tuple[str, ...]:
    """Tasks are matched by heading path and number: numbers restart in some notices."""
    return (*task.path, task.number)


def carry_over_ids(previous: Sequence[DraftTask], current: Sequence[DraftTask]) -> None:
    """Give each corrected task the lasting id of the task it corrects."""
    by_key = {task_key(t): t.task_id for t in previous}
    by_number = {t.number: t.task_id for t in previous}
    if len(by_number) != len(previous):
        by_number = {}  # numbers repeat: only the full key is safe
    for task in current:
        task.task_id = by_key.get(task_key(task)) or by_number.get(task.number) or task.task_id


def diff_tasks(previous: Sequence[DraftTask], current: Sequence[DraftTask]) -> dict[str, Any]:
    before = {t.task_id: t for t in previous}
    after = {t.task_id: t for t in current}
    changed = []
    for task_id, new in after.items():
        old = before.get(task_id)
        if old is None:
            continue
        fields = {
            f: {"before": getattr(old, f), "after": getattr(new, f)}
            for f in COMPARED_FIELDS
            if getattr(old, f) != getattr(new, f)
        }
        if fields:
            changed.append({"task_id": task_id, "number": new.number, "fields": fields})
    return {
        "added": [{"task_id": i, "number": t.number} for i, t in after.items() if i not in before],
        "removed": [
            {"task_id": i, "number": t.number} for i, t in before.items() if i not in after
        ],
        "changed": changed,
    }


def unchanged_ids(changes: dict[str, Any], current: Sequence[DraftTask]) -> set[str]:
    touched = {c["task_id"] for c in changes["changed"]} | {a["task_id"] for a in changes["added"]}
    return {t.task_id for t in current if t.task_id not in touched}
