"""Bad values at the edge of every service are a 4xx in the one error shape (docs/errors.md),
in Chinese, with nothing written, never a 500: NUL characters, text longer than its column,
integers beyond 64 bits, years and dates outside the calendar's range, attachments not of
the documented shape, "50" or true for a number. On SQLite and on PostgreSQL. And the
error shape is what every OpenAPI declares; timestamps carry their offset on both."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).parent / "tasks"))

from tasks_world import GOV_A, World, service_app, world

from shared.messaging.tables import OUTBOX

SERVICES = ("intake", "tasks", "notify", "reporting")
BIG = 2**63  # one beyond a signed 64-bit integer
LONG_UNIT = "住" * 201
NOTICE = {"title": "甲县重点工作", "tasks": [{"number": "1", "text": "建成书屋"}]}


def progress(**changed: Any) -> dict[str, Any]:
    return {"unit": "县住建局", "percent": 10, "done": "开工"} | changed


def extension(**changed: Any) -> dict[str, Any]:
    return (
        {"unit": "县住建局", "milestone_id": 1, "requested_date": "2022-12-01"}
        | {"reason": "资金未到位"}
        | changed
    )


def notice(**task: Any) -> dict[str, Any]:
    return NOTICE | {"tasks": [NOTICE["tasks"][0] | task]}


# name: (caller, method, url, request arguments); {task1} is task 1 of government A.
CASES: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    # NUL characters: in a body, a path, a query
    "NUL in a 催办": (
        "supervisor-A",
        "POST",
        "/tasks/tasks/{task1}/urge",
        {"json": {"message": "催\x00办"}},
    ),
    "NUL in a path": ("admin", "GET", "/tasks/tasks/abc%00def", {}),
    "NUL in a query": ("admin", "GET", "/tasks/tasks", {"params": {"q": "书\x00屋"}}),
    "NUL in a unit's name": ("supervisor-A", "PUT", "/tasks/directory/units/县%00局", {"json": {}}),
    "NUL in a progress report": (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/progress",
        {"json": progress(done="\x00")},
    ),
    "NUL in a notice's title": (
        "admin",
        "POST",
        "/intake/documents",
        {"json": NOTICE | {"title": "甲\x00县"}},
    ),
    "NUL in a notify query": ("admin", "GET", "/notify/notices", {"params": {"task_id": "a\x00"}}),
    "NUL in a reporting query": (
        "admin",
        "GET",
        "/reporting/overview",
        {"params": {"government": "\x00"}},
    ),
    # text longer than its column
    "a unit's name beyond its column": (
        "supervisor-A",
        "PUT",
        f"/tasks/directory/units/{LONG_UNIT}",
        {"json": {}},
    ),
    "a task id beyond its column": ("admin", "GET", "/tasks/tasks/" + "x" * 81, {}),
    "a draft's unit beyond its column": (
        "unit-zhujian",
        "GET",
        "/tasks/tasks/{task1}/progress/draft",
        {"params": {"unit": LONG_UNIT}},
    ),
    "a notice's title beyond its column": (
        "admin",
        "POST",
        "/intake/documents",
        {"json": NOTICE | {"title": "题" * 501}},
    ),
    # integers beyond 64 bits
    "2**63 as a year": ("admin", "GET", f"/tasks/calendar/{BIG}", {}),
    "2**63 as a milestone": (
        "admin",
        "POST",
        f"/tasks/tasks/{{task1}}/milestones/{BIG}/adjust",
        {"json": {"due_date": "2022-12-01", "reason": "调整"}},
    ),
    "2**63 as an extension request": (
        "admin",
        "POST",
        f"/tasks/tasks/{{task1}}/extensions/{BIG}/decision",
        {"json": {"approve": True}},
    ),
    "2**63 as a milestone in a body": (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/extensions",
        {"json": extension(milestone_id=BIG)},
    ),
    "2**63 as a token": ("admin", "DELETE", f"/tasks/tokens/{BIG}", {}),
    "2**63 as a page size": ("admin", "GET", "/tasks/tasks", {"params": {"limit": BIG}}),
    "2**63 as a percent": (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/progress",
        {"json": progress(percent=BIG)},
    ),
    "2**63 as a policy's step": (
        "supervisor-A",
        "PUT",
        "/tasks/policy",
        {
            "json": {
                "before_due": [BIG],
                "overdue_every": 1,
                "report_before": 1,
                "escalate_to_leader_after": 1,
                "circular_after": 1,
            }
        },
    ),
    "2**63 as a notice's year": (
        "admin",
        "POST",
        "/intake/documents",
        {"json": NOTICE | {"year": BIG}},
    ),
    # years outside the calendar
    "year 0 of the calendar": ("admin", "GET", "/tasks/calendar/0", {}),
    "year 10000 of the calendar": ("admin", "GET", "/tasks/calendar/10000", {}),
    "year 0 of a notice": ("admin", "POST", "/intake/documents", {"json": NOTICE | {"year": 0}}),
    "year 10000 of a notice": (
        "admin",
        "POST",
        "/intake/documents",
        {"json": NOTICE | {"year": 10000}},
    ),
    # dates outside a sane window
    "an extension to 9999-12-31": (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/extensions",
        {"json": extension(requested_date="9999-12-31")},
    ),
    "a deadline moved to 0001-01-01": (
        "admin",
        "POST",
        "/tasks/tasks/{task1}/milestones/1/adjust",
        {"json": {"due_date": "0001-01-01", "reason": "调整"}},
    ),
    "a date as seconds": (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/extensions",
        {"json": extension(requested_date=0)},
    ),
    "a date with a time": (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/extensions",
        {"json": extension(requested_date="2022-12-01T00:00:00")},
    ),
    "due before 9999-12-31": (
        "admin",
        "GET",
        "/tasks/tasks",
        {"params": {"due_before": "9999-12-31"}},
    ),
    "a notice's deadline in 9999": (
        "admin",
        "POST",
        "/intake/documents",
        {"json": notice(deadlines=[{"phrase": "年底前", "date": "9999-12-31"}])},
    ),
    # attachments not of the documented shape
    "an attachment as text": (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/progress",
        {"json": progress(attachments=["进度表.xlsx"])},
    ),
    "an attachment without a name": (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/progress",
        {"json": progress(attachments=[{"size": 1}])},
    ),
    "an attachment's size as text": (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/progress",
        {"json": progress(attachments=[{"name": "a", "size": "1"}])},
    ),
    "an attachment with an unknown field": (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/progress",
        {"json": progress(attachments=[{"name": "a", "owner": "x"}])},
    ),
    "attachments as an object": (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/progress",
        {"json": progress(attachments={"name": "a"})},
    ),
    # strict types
    '"50" as a percent': (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/progress",
        {"json": progress(percent="50")},
    ),
    "true as a percent": (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/progress",
        {"json": progress(percent=True)},
    ),
    '"true" as an approval': (
        "admin",
        "POST",
        "/tasks/tasks/{task1}/completion-decision",
        {"json": {"approve": "true"}},
    ),
    "1 as an exemption": (
        "admin",
        "PUT",
        "/tasks/tasks/{task1}/reminders",
        {"json": {"exempt": 1, "reason": "试点"}},
    ),
    '"3" as a policy step': (
        "supervisor-A",
        "PUT",
        "/tasks/policy",
        {
            "json": {
                "before_due": ["3"],
                "overdue_every": 1,
                "report_before": 1,
                "escalate_to_leader_after": 1,
                "circular_after": 1,
            }
        },
    ),
    "a unit as text, not a list": (
        "supervisor-A",
        "POST",
        "/tasks/tasks/{task1}/urge",
        {"json": {"message": "请加快", "units": "县住建局"}},
    ),
    "an unknown field": (
        "supervisor-A",
        "POST",
        "/tasks/tasks/{task1}/suspend",
        {"json": {"reason": "暂停", "force": True}},
    ),
    '"30" as a target': (
        "admin",
        "POST",
        "/intake/documents",
        {"json": notice(targets=[{"phrase": "30个", "value": "30"}])},
    ),
    "true as a notice's year": (
        "admin",
        "POST",
        "/intake/documents",
        {"json": NOTICE | {"year": True}},
    ),
    "a body that is not JSON": (
        "supervisor-A",
        "POST",
        "/tasks/tasks/{task1}/urge",
        {"content": b"\xff\xfe", "headers": {"Content-Type": "application/json"}},
    ),
}


@pytest.fixture(scope="module")
def w(module_database_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("edges"), "edges", module_database_url, SERVICES) as built:
        yield built


def written(w: World) -> tuple[int, ...]:
    """Events waiting in each service's outbox, and intake's documents: what a request wrote."""
    counts = []
    for service in ("intake", "tasks"):
        with w.runtime.services[service].sessions() as session:
            counts.append(session.scalar(select(func.count()).select_from(OUTBOX)) or 0)
            if service == "intake":
                counts.append(session.scalar(text("SELECT count(*) FROM document")) or 0)
    return tuple(counts)


@pytest.mark.parametrize(("caller", "method", "url", "request_args"), CASES.values(), ids=CASES)
def test_a_bad_value_is_a_422_in_chinese_and_nothing_is_written(
    w: World, caller: str, method: str, url: str, request_args: dict[str, Any]
) -> None:
    before = written(w)
    headers = w.headers(caller) | request_args.pop("headers", {})
    response = w.client.request(method, url.format(task1=w.task1), headers=headers, **request_args)
    assert response.status_code == 422, response.text
    body = response.json()
    assert isinstance(body["detail"], str) and isinstance(body["code"], str), body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body
    if body["code"] == "invalid":
        assert body["errors"] and {"loc", "type", "msg", "field"} <= set(body["errors"][0])
    assert written(w) == before


def test_at_the_bounds_the_same_values_go_through(w: World) -> None:
    """The bounds refuse only what is beyond them."""
    ok = w.client.get("/tasks/calendar/2100", headers=w.headers("admin"))
    assert ok.status_code == 200, ok.text
    url = f"/tasks/tasks/{w.task1}/progress"
    attachment = {"name": "进度表.xlsx", "size": 2048, "location": "oa://files/1"}
    sent = w.client.post(
        url, headers=w.headers("unit-zhujian"), json=progress(attachments=[attachment])
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["attachments"] == [attachment]
    moved = w.client.post(
        f"/tasks/tasks/{w.task1}/milestones/{w.milestone(w.task1)['id']}/adjust",
        headers=w.headers("admin"),
        json={"due_date": "2100-12-31", "reason": "调整"},
    )
    assert moved.status_code == 200, moved.text


def test_every_error_has_the_one_shape(w: World) -> None:
    admin = w.headers("admin")
    answers = {
        "unauthorized": w.client.get("/tasks/tasks"),
        "forbidden": w.client.get("/tasks/tokens", headers=w.headers("unit-zhujian")),
        "not_found": w.client.get("/tasks/tasks/none-001", headers=admin),
        "not_found ": w.client.get("/intake/documents/none", headers=admin),
        "conflict": w.client.patch(
            f"/intake/documents/{w.doc_a}/tasks/1", headers=admin, json={"text": "改"}
        ),
        "method_not_allowed": w.client.delete("/tasks/policy", headers=admin),
    }
    for code, response in answers.items():
        body = response.json()
        assert body["code"] == code.strip(), (code, response.status_code, body)
        assert isinstance(body["detail"], str) and body["detail"], body
    assert answers["method_not_allowed"].headers["allow"] == "GET, PUT"


def test_every_operation_declares_its_errors_with_the_one_body(w: World) -> None:
    for service in SERVICES:
        document = service_app(w.client.app, service).openapi()
        assert "HTTPValidationError" not in document["components"]["schemas"]
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                declared = set(operation["responses"])
                expected = {"503"} if path in ("/healthz", "/readyz") else {"401", "403", "503"}
                if "{" in path:
                    expected.add("404")
                if operation.get("parameters") or operation.get("requestBody"):
                    expected.add("422")
                if operation.get("requestBody"):
                    expected.add("413")
                if method == "post":
                    expected.add("429")
                assert expected <= declared, (service, method, path, expected - declared)
                for status in expected:
                    content = operation["responses"][status]["content"]["application/json"]
                    assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def test_timestamps_carry_their_offset_on_both_databases(w: World) -> None:
    task = w.task(w.task1)
    stamps = [entry["at"] for entry in task["timeline"]]
    document = w.admin("GET", f"/intake/documents/{w.doc_a}")
    stamps += [document["created_at"], document["published_at"]]
    stamps += [token["created_at"] for token in w.admin("GET", "/tasks/tokens")]
    assert stamps and all(s.endswith(("Z", "+00:00")) for s in stamps), stamps


def test_the_raw_bodies_are_described(w: World) -> None:
    tasks = service_app(w.client.app, "tasks").openapi()["paths"]
    assert "text/csv" in tasks["/directory/import"]["post"]["requestBody"]["content"]
    assert "text/plain" in tasks["/calendar"]["put"]["requestBody"]["content"]
    assert GOV_A  # the world's government A is where every case above is sent
