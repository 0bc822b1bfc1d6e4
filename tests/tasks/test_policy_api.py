"""The reminder policy over HTTP: defaults until changed, checked, and changes audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from duban.services import specs
from services.tasks.audit import AuditEntry
from shared.config import Settings
from shared.runtime import Runtime

OWN = {
    "before_due": [1, 10, 3],
    "overdue_every": 2,
    "report_before": 2,
    "escalate_to_leader_after": 4,
    "circular_after": 8,
}


def test_defaults_then_an_audited_change(
    tasks_settings: Settings, admin_headers: dict[str, str]
) -> None:
    runtime = Runtime(tasks_settings, specs("tasks"))
    params = {"government": "g1"}
    with TestClient(runtime.create_app(), headers=admin_headers) as client:
        default = client.get("/policy", params=params).json()
        assert default["before_due"] == [5, 3, 1] and default["circular_after"] == 10
        changed = client.put("/policy", params=params, json=OWN)
        assert changed.json()["before_due"] == [10, 3, 1], "sorted, furthest first"
        assert client.get("/policy", params=params).json()["escalate_to_leader_after"] == 4
        bad = client.put("/policy", params=params, json={**OWN, "circular_after": 2})
        assert bad.status_code == 422 and "通报" in bad.json()["detail"]
    with runtime.services["tasks"].sessions() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "policy.updated")
        ).one()
    assert entry.before["circular_after"] == 10 and entry.after["circular_after"] == 8
