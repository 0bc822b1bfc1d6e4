"""Progress submission has two paths on PostgreSQL: ``progress_pg.submit_fast`` for a unit
reporting on a task already under way, ``progress.submit`` (the ORM, every rule) for the rest.
The fast one must write exactly what the ORM one writes, and hand over whatever it does not
handle. On a real PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update
from tasks_world import World, world

from services.tasks import progress
from services.tasks.api import progress as progress_api
from services.tasks.auth import Principal, hash_token, principal_for_hash
from services.tasks.holidays import calendar_for
from services.tasks.models import AuditEntry, ProgressReport, Task
from services.tasks.progress import ProgressIn
from services.tasks.progress_pg import submit_fast
from services.tasks.signal_updates import refresh_signal
from shared.messaging.tables import OUTBOX

ZHUJIAN = "unit-zhujian"


@pytest.fixture
def w(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("paths"), "paths", pg_url) as built:
        first = {"unit": "县住建局", "done": "开工", "percent": 10}
        response = built.client.post(
            f"/tasks/tasks/{built.task1}/progress", json=first, headers=built.headers(ZHUJIAN)
        )
        assert response.status_code == 201, response.text  # the task is now under way
        yield built


@pytest.fixture
def fast_results(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What submit_fast answered for each request the API handled."""
    seen: list[Any] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = submit_fast(*args, **kwargs)
        seen.append(result)
        return result

    monkeypatch.setattr(progress_api, "submit_fast", spy)
    return seen


def principal(w: World, caller: str) -> Principal:
    with w.sessions() as session:
        return principal_for_hash(session, hash_token(w.tokens[caller]))


def fast(w: World, caller: str, body: dict[str, Any], key: str | None = None) -> Any:
    engine = w.sessions.kw["bind"]
    return submit_fast(
        engine, calendar_for(engine), principal(w, caller), w.task1, ProgressIn(**body), key
    )


def orm(w: World, caller: str, body: dict[str, Any], key: str | None = None) -> ProgressReport:
    with w.sessions.begin() as session:
        report, created = progress.submit(
            session, principal(w, caller), w.task1, ProgressIn(**body), key
        )
    assert created
    return report


def effects(w: World, report_id: str) -> dict[str, Any]:
    """Everything one submission wrote, with what differs by nature (ids, times) left out."""
    with w.sessions() as session:
        report = session.get(ProgressReport, report_id)
        audit = session.scalars(select(AuditEntry).where(AuditEntry.entity_id == report_id)).all()
        events = [
            json.loads(row.payload)
            for row in session.execute(select(OUTBOX.c.payload).order_by(OUTBOX.c.seq))
            if json.loads(row.payload)["data"].get("report_id") == report_id
        ]
        task = session.get(Task, w.task1)
        assert report is not None and task is not None
        return {
            "report": {
                c: getattr(report, c)
                for c in ProgressReport.__table__.columns.keys()  # noqa: SIM118 (names, not columns)
                if c not in ("id", "submitted_at", "idempotency_key", "percent")
            },
            "audit": [(a.government_id, a.actor, a.action, a.entity, a.before) for a in audit],
            "audit_after_keys": [sorted(a.after) for a in audit],
            "events": [(e["type"], e["version"], e["source"], sorted(e["data"])) for e in events],
            "task": (task.status, task.signal, task.percent_done),
        }


def test_the_fast_path_writes_what_the_orm_path_writes(w: World) -> None:
    body = {"unit": "县住建局", "done": "完成12个", "next_steps": "再做8个", "percent": 40}
    by_fast = fast(w, ZHUJIAN, body, "k-fast")
    assert by_fast is not None, "a plain report on a task under way takes the fast path"
    fast_effects = effects(w, by_fast["id"])
    by_orm = orm(w, ZHUJIAN, body, "k-orm")
    assert effects(w, by_orm.id) == fast_effects
    assert fast_effects["task"][2] == 40 and len(fast_effects["events"]) == 1

    with w.sessions.begin() as session:  # the signal it left is the one the ORM computes
        task = session.get(Task, w.task1)
        assert task is not None
        reason = task.signal_reason
        assert refresh_signal(session, task) is False
        assert task.signal_reason == reason


def test_a_new_colour_is_recorded_as_the_orm_path_records_it(w: World) -> None:
    """The task's deadlines (2022) are long past: red. A stale green makes the next report
    move the colour, on either path."""
    results = []
    for submit in (fast, orm):
        with w.sessions.begin() as session:
            session.execute(update(Task).where(Task.id == w.task1).values(signal="green"))
        report = submit(w, ZHUJIAN, {"unit": "县住建局", "percent": 45})
        report_id = report["id"] if isinstance(report, dict) else report.id
        with w.sessions() as session:
            audit = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "task.signal").order_by(AuditEntry.id)
            ).all()[-1]
            event = json.loads(
                session.execute(select(OUTBOX.c.payload).order_by(OUTBOX.c.seq.desc())).first()[0]
            )
        results.append(
            (
                effects(w, report_id),
                (
                    audit.actor,
                    audit.entity,
                    audit.entity_id,
                    audit.task_id,
                    audit.before,
                    audit.after,
                ),
                (event["type"], event["version"], event["key"], event["data"]),
            )
        )
    assert results[0] == results[1]
    assert results[0][0]["task"][1] == "red"
    assert results[0][2][3]["previous"] == "green"


def test_a_lower_percent_does_not_lower_the_task(w: World) -> None:
    assert fast(w, ZHUJIAN, {"unit": "县住建局", "percent": 50}) is not None
    assert fast(w, ZHUJIAN, {"unit": "县住建局", "percent": 20}) is not None
    with w.sessions() as session:
        assert session.get(Task, w.task1).percent_done == 50  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "case",
    ["first report", "indicator actuals", "another unit", "a leader", "completed"],
)
def test_what_the_fast_path_hands_over(w: World, case: str) -> None:
    body: dict[str, Any] = {"unit": "县住建局", "percent": 30}
    caller, task = ZHUJIAN, w.task1
    if case == "first report":
        w.issue("unit-jiaoti-2", role="unit", government_id="default", unit="县教体局")
        caller, task, body = "unit-jiaoti-2", w.task2, {"unit": "县教体局", "percent": 5}
    elif case == "indicator actuals":
        body["indicator_actuals"] = {w.task(w.task1)["indicators"][0]["id"]: 3}
    elif case == "another unit":
        body["unit"] = "县财政局"
    elif case == "a leader":
        caller = "leader-wangming"
    else:
        with w.sessions.begin() as session:
            session.execute(update(Task).where(Task.id == w.task1).values(status="completed"))
    engine = w.sessions.kw["bind"]
    before = _counts(w)
    result = submit_fast(
        engine, calendar_for(engine), principal(w, caller), task, ProgressIn(**body), None
    )
    assert result is None
    assert _counts(w) == before, "handing over writes nothing"


def test_a_retried_key_gets_the_first_report_through_the_api(
    w: World, fast_results: list[Any]
) -> None:
    url = f"/tasks/tasks/{w.task1}/progress"
    headers = w.headers(ZHUJIAN) | {"Idempotency-Key": "oa-7"}
    body = {"unit": "县住建局", "done": "第二次", "percent": 35}
    first = w.client.post(url, json=body, headers=headers)
    again = w.client.post(url, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert fast_results[0] is not None and fast_results[1] is None
    assert _counts(w)[0] == 2, "the first report and this one, not a third"


def _counts(w: World) -> tuple[int, int, int]:
    with w.sessions() as session:
        reports = len(session.scalars(select(ProgressReport.id)).all())
        audit = len(session.scalars(select(AuditEntry.id)).all())
        outbox = len(session.execute(select(OUTBOX.c.seq)).all())
    return reports, audit, outbox
