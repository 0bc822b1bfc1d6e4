"""A small deployment for the tasks API tests: two governments, a published notice in each,
and one token per kind of caller, all issued through the API with the bootstrap admin token.

Government A: task 1 (lead 县住建局, responsible 县财政局, cooperating 县环保局, leader 王明)
and task 2 (lead 县教体局). Government B: one task whose lead has the same name, 县住建局, so
that a unit of A seeing B's task would show.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from helpers import wait_until
from starlette.routing import Mount

from duban.services import specs
from services.tasks.registration.handlers import on_document_published, on_task_defined
from shared.config import Settings
from shared.contracts.intake import DocumentPublishedV1, TaskDefinedV1
from shared.runtime import Runtime

GOV_A, GOV_B = "default", "gov-b"  # A: intake publishes into "default" only
ADMIN = "world-admin-token-0123456789"
SESSION_KEY = "world-session-key-0123456789abcdefghijklmnop"  # signs people's sessions
OPS_PATHS = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/docs",
    "/openapi.json",
    "/docs/oauth2-redirect",
    "/redoc",
}

NOTICE_A = {
    "title": "甲县2022年重点工作任务分解",
    "government_id": GOV_A,
    "year": 2022,
    "tasks": [
        {
            "number": "1",
            "text": "推进老旧小区改造，完成改造小区30个以上。",
            "lead_units": ["县住建局"],
            "responsible_units": ["县财政局"],
            "cooperating_units": ["县环保局"],
            "leaders": ["王明"],
            "deadlines": [
                {"phrase": "6月底前", "date": "2022-06-30"},
                {"phrase": "年底前", "date": "2022-12-31"},
            ],
            "targets": [
                {"phrase": "完成改造小区30个以上", "comparator": "≥", "value": 30, "unit": "个"}
            ],
        },
        {
            "number": "2",
            "text": "新建改扩建中小学校舍。",
            "lead_units": ["县教体局"],
            "leaders": ["李华"],
            "deadlines": [{"phrase": "9月底前", "date": "2022-09-30"}],
        },
    ],
}
NOTICE_B = {
    "title": "乙县2022年重点工作",
    "government_id": GOV_B,
    "year": 2022,
    "tasks": [
        {
            "number": "1",
            "text": "乙县棚户区改造。",
            "lead_units": ["县住建局"],
            "leaders": ["王明"],
            "deadlines": [{"phrase": "年底前", "date": "2022-12-31"}],
        }
    ],
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    client: TestClient
    runtime: Runtime
    tokens: dict[str, str] = field(default_factory=dict)  # caller → plain token
    token_ids: dict[str, int] = field(default_factory=dict)
    people: dict[str, dict[str, str]] = field(default_factory=dict)  # caller → session headers
    task1: str = ""
    task2: str = ""
    task_b: str = ""
    doc_a: str = ""
    doc_b: str = ""
    intake_doc_b: str = ""  # a document of government B in intake (test_authz_services)

    def headers(self, caller: str) -> dict[str, str]:
        if caller in self.people:
            return self.people[caller]
        return bearer(ADMIN) if caller == "admin" else bearer(self.tokens[caller])

    def log_in(self, caller: str, login: str, password: str) -> None:
        """A person logged in (as a browser would, with a jar of its own): from now on
        ``headers(caller)`` sends the session cookie and its CSRF token."""
        from shared.identity.sessions import COOKIE, CSRF_COOKIE

        browser = TestClient(self.client.app)
        response = browser.post("/tasks/login", json={"login": login, "password": password})
        assert response.status_code == 200, response.text
        session, csrf = response.cookies[COOKIE], response.cookies[CSRF_COOKIE]
        self.people[caller] = {
            "Cookie": f"{COOKIE}={session}; {CSRF_COOKIE}={csrf}",
            "X-CSRF-Token": csrf,
        }

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, headers=bearer(ADMIN), **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def task(self, task_id: str) -> dict[str, Any]:
        return self.admin("GET", f"/tasks/tasks/{task_id}")

    def milestone(self, task_id: str, index: int = 0) -> dict[str, Any]:
        return self.task(task_id)["milestones"][index]

    def issue(self, caller: str, **body: Any) -> None:
        issued = self.admin("POST", "/tasks/tokens", json={"name": caller, **body})
        self.tokens[caller], self.token_ids[caller] = issued["token"], issued["id"]

    @property
    def sessions(self):
        return self.runtime.services["tasks"].sessions


def service_app(app: FastAPI, service: str = "tasks") -> FastAPI:
    """A service's own app, as mounted under /<service>."""
    (mount,) = [r for r in app.routes if isinstance(r, Mount) and r.path == f"/{service}"]
    return mount.app  # type: ignore[return-value]


def service_routes(
    app: FastAPI, mutating_only: bool = False, service: str = "tasks"
) -> set[tuple[str, str]]:
    """Every (method, path) a service serves, as seen from outside (/tasks/…).

    Read from the service's OpenAPI document: FastAPI 0.165 keeps included routers as
    opaque ``_IncludedRouter`` entries in ``app.routes``, and every endpoint is documented."""
    wanted = {"POST", "PUT", "PATCH", "DELETE"} if mutating_only else None
    found = set()
    for path, operations in service_app(app, service).openapi()["paths"].items():
        if path in OPS_PATHS or path.startswith("/ops/"):
            continue  # the backbone's, not the service's (/ops/: tests/test_parking*.py)
        for method in map(str.upper, operations):
            known = method in {"GET", "POST", "PUT", "PATCH", "DELETE"}
            if known and (wanted is None or method in wanted):
                found.add((method, f"/{service}" + path))
    return found


def publish(client: TestClient, notice: dict[str, Any]) -> str:
    """Through intake, as a clerk would: the notice as JSON, then publish."""
    doc = client.post("/intake/documents", json=notice, headers=bearer(ADMIN))
    assert doc.status_code == 201, doc.text
    doc_id = doc.json()["id"]
    published = client.post(f"/intake/documents/{doc_id}/publish", headers=bearer(ADMIN))
    assert published.status_code == 200, published.text
    return doc_id


def deliver(w: World, notice: dict[str, Any], doc_id: str) -> None:
    """Hand the tasks service the events intake should send for this notice, through its
    handlers. Needed for any government but "default": intake's events do not carry the
    notice's government_id yet (TaskDefinedV1/DocumentPublishedV1 are built without it)."""
    gov = notice["government_id"]
    with w.sessions.begin() as session:
        on_document_published(
            session,
            DocumentPublishedV1(
                document_id=doc_id,
                government_id=gov,
                title=notice["title"],
                year=notice["year"],
                task_count=len(notice["tasks"]),
            ),
        )
        for i, task in enumerate(notice["tasks"], start=1):
            event = TaskDefinedV1(
                task_id=f"{doc_id}-{i:03d}", document_id=doc_id, government_id=gov, **task
            )
            on_task_defined(session, event)


@contextmanager
def admin_token_env() -> Iterator[None]:
    from shared.identity.sessions import session_settings
    from shared.identity.verify import identity_settings
    from shared.ratelimit import rate_settings

    # The world's callers are many and quick; the rate limits have their own tests.
    wanted = {
        "DUBAN_TASKS_ADMIN_TOKEN": ADMIN,
        "DUBAN_SESSION_KEY": SESSION_KEY,
        "DUBAN_RATE_ENABLED": "false",
    }
    previous = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    identity_settings.cache_clear()
    session_settings.cache_clear()
    rate_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value
        identity_settings.cache_clear()
        session_settings.cache_clear()
        rate_settings.cache_clear()


@contextmanager
def world(
    data_dir: Path,
    prefix: str,
    database_url: str | None = None,
    services: tuple[str, ...] = ("intake", "tasks"),  # all the tasks tests need
) -> Iterator[World]:
    settings = Settings(
        data_dir=data_dir,
        bus="memory",
        topic_prefix=prefix,
        relay_interval_s=0.05,
        database_url=database_url,
    )
    with admin_token_env():
        runtime = Runtime(settings, specs(*services))
        with TestClient(runtime.create_app()) as client:
            w = World(client, runtime)
            w.doc_a, w.doc_b = publish(client, NOTICE_A), "b0000000-0000-0000-0000-00000000000b"
            deliver(w, NOTICE_B, w.doc_b)

            def listed(gov: str) -> list[dict]:
                return w.admin("GET", "/tasks/tasks", params={"government": gov})

            wait_until(lambda: len(listed(GOV_A)) == 2 and len(listed(GOV_B)) == 1, 20, "tasks")
            by_number = {t["number"]: t["id"] for t in listed(GOV_A)}
            w.task1, w.task2 = by_number["1"], by_number["2"]
            w.task_b = listed(GOV_B)[0]["id"]
            listed = {
                GOV_A: ("县住建局", "县教体局", "县财政局", "县环保局", "县城管局"),
                GOV_B: ("县住建局",),
            }
            for gov, units in listed.items():  # a token speaks only for a unit in the directory
                for unit in units:
                    w.admin("PUT", f"/tasks/directory/units/{unit}?government={gov}", json={})
            w.issue("supervisor-A", role="supervisor", government_id=GOV_A)
            w.issue("supervisor-B", role="supervisor", government_id=GOV_B)
            w.issue("unit-zhujian", role="unit", government_id=GOV_A, unit="县住建局")
            w.issue("unit-jiaoti", role="unit", government_id=GOV_A, unit="县教体局")
            w.issue("leader-wangming", role="leader", government_id=GOV_A, leader="王明")
            w.issue("oa-caizheng", role="integration", government_id=GOV_A, units=["县财政局"])
            w.issue("revoked", role="unit", government_id=GOV_A, unit="县住建局")
            w.admin("DELETE", f"/tasks/tokens/{w.token_ids['revoked']}")
            yield w
