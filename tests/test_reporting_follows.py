"""Reporting folds the tasks service's events into its view: status, signal, progress."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from helpers import as_records

from services.reporting.models import TaskView
from services.reporting.spec import SPEC
from shared.config import Settings
from shared.contracts.tasks import (
    ProgressSubmittedV1,
    TaskRegisteredV1,
    TaskSignalChangedV1,
    TaskStatusChangedV1,
)
from shared.service import ServiceRuntime


def test_the_view_follows_status_signal_and_progress(tmp_path: Path) -> None:
    reporting = ServiceRuntime(SPEC, Settings(data_dir=tmp_path), bus=None)  # type: ignore[arg-type]
    reporting.migrate()
    events = [
        TaskRegisteredV1(
            task_id="T1", document_id="D", number="1", text="任务", units=["县住建局"]
        ),
        TaskStatusChangedV1(
            task_id="T1",
            government_id="default",
            status="in_progress",
            previous="assigned",
            actor="县住建局",
        ),
        TaskSignalChangedV1(
            task_id="T1",
            government_id="default",
            signal="red",
            previous="green",
            reason="时间节点已逾期3个工作日",
        ),
        ProgressSubmittedV1(
            report_id="R1",
            task_id="T1",
            government_id="default",
            unit="县住建局",
            percent=40,
            submitted_at=datetime.now(UTC),
        ),
    ]
    for event in events:
        reporting.subscriber(as_records(event.envelope()))
    with reporting.sessions() as session:
        view = session.get(TaskView, "T1")
    assert (view.status, view.signal, view.percent) == ("in_progress", "red", 40)
    assert view.signal_reason == "时间节点已逾期3个工作日" and view.last_report_at is not None
