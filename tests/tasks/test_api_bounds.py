"""The tasks API refuses (422, in Chinese) input that would make an event exceed its
contract, before anything is written; input at the bound goes through and its event keeps
to the contract. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from tasks_world import GOV_A, World, world

from services.tasks.lifecycle.schemas import REASON
from shared.contracts import limits
from shared.messaging.tables import OUTBOX

LONG_UNIT = "县" + "住" * limits.UNIT_NAME  # one character beyond the bound
GOV = {"government": GOV_A}
REFUSED = {
    "a unit named beyond the bound": (
        "admin",
        "PUT",
        f"/tasks/directory/units/{LONG_UNIT}",
        {"params": GOV, "json": {}},
    ),
    "an alias beyond the bound": (
        "admin",
        "PUT",
        "/tasks/directory/units/县住建局",
        {"params": GOV, "json": {"aliases": [LONG_UNIT]}},
    ),
    "a directory file naming a unit beyond the bound": (
        "admin",
        "POST",
        "/tasks/directory/import",
        {"params": GOV, "content": f"名称,类型,别名,成员\n{LONG_UNIT},单位,,\n".encode()},
    ),
    "a leader named beyond the bound": (
        "admin",
        "PUT",
        "/tasks/directory/leaders/" + "王" * (limits.LEADER_NAME + 1),
        {"params": GOV, "json": {}},
    ),
    "a token named beyond an actor's bound": (
        "admin",
        "POST",
        "/tasks/tokens",
        {"json": {"name": "督" * (limits.ACTOR + 1), "role": "supervisor", "government_id": GOV_A}},
    ),
    "a 催办 of a unit beyond the bound": (
        "supervisor-A",
        "POST",
        "/tasks/tasks/{task1}/urge",
        {"json": {"message": "请加快进度", "units": [LONG_UNIT]}},
    ),
    "a 催办 beyond its length": (
        "supervisor-A",
        "POST",
        "/tasks/tasks/{task1}/urge",
        {"json": {"message": "催" * (REASON + 1)}},
    ),
    "a completion summary beyond free text's bound": (
        "unit-zhujian",
        "POST",
        "/tasks/tasks/{task1}/completion-request",
        {"json": {"unit": "县住建局", "summary": "完" * (limits.TEXT + 1)}},
    ),
}


@pytest.fixture(scope="module")
def w(module_database_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("bounds"), "bounds", module_database_url) as built:
        yield built


def outbox_count(w: World) -> int:
    with w.sessions() as session:
        return session.scalar(select(func.count()).select_from(OUTBOX)) or 0


def events(w: World, event_type: str) -> list[dict[str, Any]]:
    with w.sessions() as session:
        rows = session.scalars(select(OUTBOX.c.payload).where(OUTBOX.c.type == event_type))
        return [json.loads(payload)["data"] for payload in rows]


@pytest.mark.parametrize(("caller", "method", "url", "request_args"), REFUSED.values(), ids=REFUSED)
def test_input_beyond_a_contract_is_refused_before_anything_is_written(
    w: World, caller: str, method: str, url: str, request_args: dict[str, Any]
) -> None:
    before = outbox_count(w)
    response = w.client.request(
        method, url.format(task1=w.task1), headers=w.headers(caller), **request_args
    )
    assert response.status_code == 422, response.text
    body = response.json()
    said = body["detail"]
    assert "超过" in said, said
    assert outbox_count(w) == before


def test_input_at_the_bound_goes_through_within_the_contract(w: World) -> None:
    summary = "完" * limits.TEXT
    body = {"unit": "县教体局", "summary": summary}
    url = f"/tasks/tasks/{w.task2}/completion-request"
    response = w.client.post(url, headers=w.headers("unit-jiaoti"), json=body)
    assert response.status_code == 200, response.text
    assert [e["reason"] for e in events(w, "task.status_changed")][-1] == summary

    milestone = w.milestone(w.task1)
    reason = "缓" * REASON
    extension = {"unit": "县住建局", "milestone_id": milestone["id"], "reason": reason}
    url = f"/tasks/tasks/{w.task1}/extensions"
    headers = w.headers("unit-zhujian")
    asked = w.client.post(url, headers=headers, json=extension | {"requested_date": "2022-12-01"})
    assert asked.status_code == 201, asked.text
    decision = f"{url}/{asked.json()['id']}/decision"
    decided = w.client.post(decision, headers=w.headers("supervisor-A"), json={"approve": True})
    assert decided.status_code == 200, decided.text
    (moved,) = events(w, "milestone.rescheduled")
    assert moved["reason"] == f"批准延期：{reason}"  # a typed reason, composed, still within


@pytest.mark.parametrize(
    "figures",
    [
        {"percent": "50"},
        {"percent": True},
        {"percent": 50.0},
        {"percent": 50, "indicator_actuals": {"1": "14"}},
        {"percent": 50, "indicator_actuals": {"1": True}},
    ],
    ids=["percent-text", "percent-boolean", "percent-float", "actual-text", "actual-boolean"],
)
def test_a_percent_or_a_figure_of_another_type_is_refused(
    w: World, figures: dict[str, Any]
) -> None:
    """A strict schema: an OA system's bug is named in Chinese, not read as a figure."""
    before = outbox_count(w)
    url = f"/tasks/tasks/{w.task1}/progress"
    body = {"unit": "县住建局", **figures}
    response = w.client.post(url, headers=w.headers("unit-zhujian"), json=body)
    assert response.status_code == 422, response.text
    assert outbox_count(w) == before
