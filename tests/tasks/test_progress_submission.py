"""Progress submission has one path on every database: read, decide, write one guarded
change. Submissions racing on one task lose nothing (the loser reads again), a key used twice
at once stores one report, and a task that moved between the read and the write is judged
again on what it became. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from tasks_world import GOV_A, World, world

from services.tasks.access.principal import Principal, Role
from services.tasks.errors import Conflict
from services.tasks.lifecycle.models import Task
from services.tasks.progress import submission
from services.tasks.progress.models import ProgressReport
from services.tasks.progress.schemas import ProgressIn

ZHUJIAN = Principal("住建", Role.UNIT, GOV_A, unit="县住建局", token_id=901)
CAIZHENG = Principal("财政", Role.UNIT, GOV_A, unit="县财政局", token_id=902)


@pytest.fixture
def w(tmp_path: Path, database_url: str | None) -> Iterator[World]:
    with world(tmp_path, "submit", database_url) as built:
        yield built


def submit(w: World, who: Principal, percent: int, key: str | None = None) -> Any:
    body = ProgressIn(unit=who.unit or "", percent=percent, done=f"进度{percent}")
    return submission.submit(w.runtime.services["tasks"].engine, who, w.task1, body, key)


def reports(w: World) -> list[ProgressReport]:
    with w.sessions() as session:
        return list(session.scalars(select(ProgressReport).order_by(ProgressReport.submitted_at)))


def submit_until_taken(w: World, who: Principal, percent: int, key: str) -> Any:
    """As an OA system does: a refusal to try again later (the task kept moving under a
    loaded machine) is retried with the same Idempotency-Key."""
    for _ in range(50):
        try:
            return submit(w, who, percent, key)
        except Conflict:
            continue
    raise AssertionError(f"{key}: refused 50 times in a row")


def test_racing_submissions_lose_nothing(w: World) -> None:
    plan = [(ZHUJIAN if n % 2 else CAIZHENG, 10 + n, f"race-{n}") for n in range(24)]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda p: submit_until_taken(w, *p), plan))
    assert all(created for _, created in results)
    stored = reports(w)
    assert len(stored) == 24
    latest = {r.unit: r.percent for r in stored}  # each unit's last, by submission time
    task = w.task(w.task1)
    assert task["percent_done"] == int((latest["县住建局"] + latest["县财政局"]) / 2 + 0.5)
    assert [e["action"] for e in task["timeline"]].count("progress.submitted") == 24
    with w.sessions() as session:
        assert session.scalar(select(Task.version).where(Task.id == w.task1)) > 24


def test_one_key_used_twice_at_once_stores_one_report(w: World) -> None:
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: submit(w, ZHUJIAN, 40, "oa-42"), range(8)))
    assert sum(created for _, created in results) == 1
    assert len({report["id"] for report, _ in results}) == 1
    assert len(reports(w)) == 1


def test_a_task_that_moved_meanwhile_is_judged_again(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the read and the write the bureau changes the task (here: another unit's
    report lands); the write finds the task moved, writes nothing, reads again."""
    decide, calls = submission.decide, []

    def racing_decide(*args: Any, **kwargs: Any) -> Any:
        decided = decide(*args, **kwargs)
        calls.append(decided)
        if len(calls) == 1:  # the other report, committed after our read
            monkeypatch.setattr(submission, "decide", decide)
            submit(w, CAIZHENG, 90)
            monkeypatch.setattr(submission, "decide", racing_decide)
        return decided

    monkeypatch.setattr(submission, "decide", racing_decide)
    _, created = submit(w, ZHUJIAN, 50)
    assert created and len(calls) == 2, "read and decided again"
    assert w.task(w.task1)["percent_done"] == 70, "(50 + 90) / 2: both reports count"
    assert {r.unit for r in reports(w)} == {"县住建局", "县财政局"}


def test_a_task_others_keep_changing_is_refused_not_half_written(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    decide = submission.decide

    def always_late(*args: Any, **kwargs: Any) -> Any:
        decided = decide(*args, **kwargs)
        with w.sessions.begin() as session:  # someone writes the task every time
            session.execute(update(Task).where(Task.id == w.task1).values(version=Task.version + 1))
        return decided

    monkeypatch.setattr(submission, "decide", always_late)
    with pytest.raises(Conflict, match="请稍后重试"):
        submit(w, ZHUJIAN, 50)
    with w.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProgressReport)) == 0


def test_a_key_reused_with_another_body_is_refused_and_the_same_body_gets_the_report(
    w: World,
) -> None:
    first, created = submit(w, ZHUJIAN, 40, "oa-7")
    again, created_again = submit(w, ZHUJIAN, 40, "oa-7")
    assert created and not created_again and again["id"] == first["id"]
    with pytest.raises(Conflict, match="内容不同"):
        submit(w, ZHUJIAN, 45, "oa-7")
    assert [r.percent for r in reports(w)] == [40]
