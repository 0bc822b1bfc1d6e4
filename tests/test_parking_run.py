"""A poison event in the running system, seen as the on-call sees it: `duban run` in a
subprocess; a record that breaks its contract arrives on the embedded bus (as from a foreign
or older producer), with a later event of the same task behind it. A notice uploaded after
them still registers its tasks within seconds; the operator API lists both parked events,
and discarding the first lets the second through. HTTP only, besides writing the record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from helpers import as_records, duban_run, wait_for

from duban.services import load_spec
from shared.config import Settings
from shared.contracts import topic_for
from shared.contracts.intake import TaskDefinedV1
from shared.messaging.memory import MemoryBus
from shared.service import ServiceRuntime

ADMIN = "parking-admin-token-0123456789"
OPERATOR = "parking-operator-token-0123456789"
NOTICE = {
    "title": "乙县2026年重点工作任务分解",
    "year": 2026,
    "tasks": [
        {"number": "1", "text": "新建城乡供水管网30公里。", "lead_units": ["县水利局"]},
        {"number": "2", "text": "完成老旧小区改造12个。", "lead_units": ["县住建局"]},
    ],
}


def test_a_poison_event_is_parked_in_the_running_system_and_released_by_an_operator(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "var"
    admin = {"Authorization": f"Bearer {ADMIN}"}
    operator = {"Authorization": f"Bearer {OPERATOR}"}
    tokens = {"DUBAN_TASKS_ADMIN_TOKEN": ADMIN, "DUBAN_OPERATOR_TOKEN": OPERATOR}
    with duban_run(data_dir, **tokens) as http:
        poison, follower = _publish_poison(data_dir)

        document = http.post("/intake/documents", json=NOTICE).json()
        published = http.post(f"/intake/documents/{document['id']}/publish")
        assert published.status_code == 200, published.text

        def registered() -> list[dict]:
            listed = http.get("/tasks/tasks", headers=admin, params={"government": "default"})
            return [t for t in listed.json() if t["document_id"] == document["id"]]

        tasks = wait_for(lambda: len(registered()) == 2 and registered(), "the notice's tasks")
        assert {t["number"] for t in tasks} == {"1", "2"}

        assert http.get("/tasks/ops/parked").status_code == 401
        parked = wait_for(
            lambda: (
                len(http.get("/tasks/ops/parked", headers=operator).json()) == 2
                and http.get("/tasks/ops/parked", headers=operator).json()
            ),
            "both events parked",
        )
        assert [(p["event_id"], p["reason"]) for p in parked] == [
            (poison, "failed"),
            (follower, "waiting"),
        ]
        assert "不符合契约" in parked[0]["error"]
        shown = http.get(f"/tasks/ops/parked/{poison}", headers=operator).json()
        assert shown["payload"]["data"]["task_id"] == "POISON-1"
        metrics = http.get("/tasks/metrics", headers=operator).text
        assert 'duban_events_parked_total{reason="failed",service="tasks"' in metrics

        refused = http.post(f"/tasks/ops/parked/{follower}/retry", headers=operator)
        assert refused.status_code == 409 and "排在" in refused.json()["detail"]
        released = http.post(f"/tasks/ops/parked/{poison}/discard", headers=operator)
        assert released.status_code == 200, released.text
        assert released.json() == [{"event_id": follower, "handled": True, "error": None}]
        task = http.get("/tasks/tasks/POISON-1", headers=admin)
        assert task.status_code == 200 and task.json()["text"] == "排在坏事件之后的定义。"
        assert http.get("/tasks/ops/parked", headers=operator).json() == []


def _publish_poison(data_dir: Path) -> tuple[str, str]:
    """A task.defined with no text (its contract requires one), then a good definition of the
    same task: written to the embedded bus as another producer would."""
    good = TaskDefinedV1(
        task_id="POISON-1", document_id="D-X", number="9", text="排在坏事件之后的定义。"
    ).envelope()
    broken = {key: value for key, value in good.data.items() if key != "text"}
    bad = good.model_copy(update={"id": uuid.uuid4(), "data": broken})
    bus = MemoryBus(data_dir / "bus.db")
    try:
        bus.publish(topic_for("intake", "duban"), [bad, good])
    finally:
        bus.close()
    return str(bad.id), str(good.id)


def test_the_on_call_lists_shows_and_discards_parked_events_with_duban_events(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    settings.data_dir.mkdir()
    tasks = ServiceRuntime(load_spec("tasks"), settings, None)  # type: ignore[arg-type]
    tasks.migrate()
    good = TaskDefinedV1(task_id="T-9", document_id="D", number="9", text="定义。").envelope()
    bad = good.model_copy(update={"id": uuid.uuid4(), "data": {"task_id": "T-9"}})
    tasks.subscriber(as_records(bad, good))
    tasks.dispose()

    def duban(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DUBAN_DATA_DIR": str(settings.data_dir)}
        command = [sys.executable, "-m", "duban", "events", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)

    listed = duban("parked")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["service"], r["event_id"], r["reason"]) for r in rows] == [
        ("tasks", str(bad.id), "failed"),
        ("tasks", str(good.id), "waiting"),
    ]
    shown = duban("show", str(bad.id))
    assert json.loads(shown.stdout)["payload"]["data"] == {"task_id": "T-9"}
    refused = duban("retry", str(good.id), "--service", "tasks")
    assert refused.returncode == 1 and "排在" in refused.stderr
    discarded = duban("discard", str(bad.id), "--by", "值班员张三")
    assert discarded.returncode == 0, discarded.stderr
    assert json.loads(discarded.stdout) == [
        {"event_id": str(good.id), "handled": True, "error": None}
    ]
    assert duban("parked").stdout == ""
    assert '"discarded_by": "值班员张三"' in duban("parked", "--all").stdout
    assert duban("show", "no-such-event").returncode == 1
