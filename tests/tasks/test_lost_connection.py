"""A database restart or failover drops every pooled connection. The request that meets a
dropped one gets a 503 a client can retry (nothing of it was written); the pool is renewed,
and the next request works. On a real PostgreSQL whose server ends our sessions: SQLite has no
server to lose, so this test is PostgreSQL's alone.

The service's own background threads are stopped first (the outbox relay polls the same
pool): otherwise, about one run in four, the relay met a dropped connection first and
renewed the pool before the request did, and the request found a fresh connection."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from tasks_world import world

ZHUJIAN = "unit-zhujian"


def end_all_sessions(pg_url: str) -> int:
    database = make_url(pg_url).database
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        ended = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        ).scalar_one()
    admin.dispose()
    return ended


def test_a_dropped_connection_is_a_503_to_retry_then_it_works(pg_url: str, tmp_path: Path) -> None:
    with world(tmp_path, "lost", pg_url) as w:
        url = f"/tasks/tasks/{w.task1}/progress"
        body = {"unit": "县住建局", "done": "开工", "percent": 10}
        again_body = {"unit": "县住建局", "done": "续建", "percent": 20}
        headers = w.headers(ZHUJIAN) | {"Idempotency-Key": "after-restart"}
        first = w.client.post(url, json=body, headers=w.headers(ZHUJIAN))
        assert first.status_code == 201, first.text
        for service in w.runtime.services.values():
            service.stop()  # nothing but the request touches the pool now
        assert end_all_sessions(pg_url) > 0

        lost = w.client.post(url, json=again_body, headers=headers)
        assert lost.status_code == 503, lost.text
        assert lost.headers["Retry-After"] == "1"
        assert "请稍后重试" in lost.json()["detail"]

        retried = w.client.post(url, json=again_body, headers=headers)
        assert retried.status_code == 201, retried.text
        again = w.client.post(url, json=again_body, headers=headers)
        assert again.status_code == 200 and again.json()["id"] == retried.json()["id"]
        assert w.client.get("/tasks/tasks", headers=w.headers("admin")).status_code == 200
