"""What the deadline scan reads, declared once: a change to any of it can make a reminder
due on a day the calendar alone would not. Triggers generated from this declaration
(``recorders.Recorder.mark_triggers``; migration tasks_0006) mark the task concerned in
``scan_mark``, or everything ("*"), so no write path can forget to; the tests generate their
mutations from it too, and check that the scan reads nothing else (``NOT_INPUTS``).
"""

from __future__ import annotations

from services.tasks.recorders import MarkTrigger

SCAN_INPUTS: tuple[MarkTrigger, ...] = (
    MarkTrigger("milestone", "task_id"),  # a deadline added, moved, done or reopened
    MarkTrigger("assignment", "task_id"),  # a unit added, returned, reassigned
    MarkTrigger(  # a task registered, resumed, exempted, its leaders or document changed
        "task",
        "id",
        columns=("status", "exempt_reminders", "leaders", "government_id", "document_id"),
    ),
    MarkTrigger("progress_report", "task_id", columns=("task_id", "unit", "round_id")),
    MarkTrigger("reminder_policy", None),  # the steps of a government
    MarkTrigger("holiday_override", None),  # the calendar moves every step
    MarkTrigger("holiday_year", None),
    MarkTrigger("reporting_round", None),  # a round added or moved
    MarkTrigger("reminder_request", None, deletes_only=True),  # a request forgotten
)

# Columns the scan reads that never make a reminder due: a row's identity, and the words a
# reminder only quotes (a new text is not a new step).
NOT_INPUTS = frozenset(
    {
        ("task", "id"),
        ("task", "number"),
        ("task", "text"),
        ("task", "created_at"),  # set once, by the insert that marks the task
        ("milestone", "id"),
        ("assignment", "id"),
        ("reporting_round", "id"),
        ("reminder_request", "dedup_key"),
    }
)

MARK_TABLE = "scan_mark"
EVERYTHING = "*"
