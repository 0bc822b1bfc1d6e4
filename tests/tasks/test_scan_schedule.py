"""The deadline scan is scheduled in the running service: every ten minutes, and once
within a minute of start. Found while counting notices in the fault tests: it had been
added paused, so neither `duban run` nor `duban serve tasks` ever scanned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from duban.services import specs
from shared.config import Settings
from shared.runtime import Runtime


def test_the_scan_runs_within_a_minute_of_start_and_every_ten_minutes(tmp_path: Path) -> None:
    runtime = Runtime(Settings(data_dir=tmp_path), specs("tasks"))
    try:
        runtime._schedule_jobs()
        runtime.scheduler.start()
        scan = runtime.scheduler.get_job("tasks.scan_deadlines")
        assert scan is not None and scan.next_run_time is not None, "the scan is paused"
        assert scan.next_run_time <= datetime.now(UTC) + timedelta(minutes=1)
        assert scan.trigger.interval == timedelta(minutes=10)
    finally:
        runtime.stop()
