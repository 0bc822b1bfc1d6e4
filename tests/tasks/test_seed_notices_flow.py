"""Acceptance 1 of the tasks issue: the three real notices flow in through intake's events and
give the expected tasks, assignments (groups expanded where the directory knows them),
milestones with dates, indicators and reporting rounds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import wait_until

from duban.services import specs
from shared.config import Settings
from shared.runtime import Runtime

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
SEEDS = {
    "000": "000_5998416bdb2a9bff",
    "001": "001_9cff09d31b67be02",
    "002": "002_f684e01bf2e63db0",
}
STREETS = ["东环路街道办事处", "光华路街道办事处", "五一路街道办事处"]  # invented members


@pytest.fixture(scope="module")
def flowed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict]]:
    """All three notices published through one embedded deployment; their tasks as seen by
    the tasks service, keyed by seed."""
    import os

    from shared.identity.verify import identity_settings

    os.environ["DUBAN_TASKS_ADMIN_TOKEN"] = "seed-admin"
    identity_settings.cache_clear()
    headers = {"Authorization": "Bearer seed-admin"}
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("seeds"), topic_prefix="seeds", relay_interval_s=0.1
    )
    results: dict[str, dict] = {}
    with TestClient(Runtime(settings, specs()).create_app(), headers=headers) as client:
        group = {"kind": "group", "members": STREETS}
        put = client.put(
            "/tasks/directory/units/各街道办事处",
            json=group,
            headers=headers,
            params={"government": "default"},
        )
        assert put.status_code == 200, put.text
        for seed, name in SEEDS.items():
            text = (CORPUS / "seeds" / f"{name}.txt").read_text(encoding="utf-8")
            doc = client.post("/intake/documents/text", json={"text": text, "filename": name})
            assert doc.status_code == 201, doc.text
            doc_id = doc.json()["id"]
            assert client.post(f"/intake/documents/{doc_id}/publish").status_code == 200
            truth = json.loads((CORPUS / "truth" / f"{name}.json").read_text(encoding="utf-8"))

            def listed(doc_id: str = doc_id) -> list[dict]:
                return client.get(
                    "/tasks/tasks", headers=headers, params={"document_id": doc_id, "limit": 1000}
                ).json()

            wait_until(lambda t=truth: len(listed()) == t["task_count"], 60, f"{seed} tasks")
            details = [
                client.get(f"/tasks/tasks/{t['id']}", headers=headers).json() for t in listed()
            ]
            results[seed] = {"truth": truth, "tasks": details, "doc_id": doc_id}
        results["rounds"] = {
            seed: client.get(
                "/tasks/rounds", headers=headers, params={"document_id": r["doc_id"]}
            ).json()
            for seed, r in results.items()
        }
    identity_settings.cache_clear()
    del os.environ["DUBAN_TASKS_ADMIN_TOKEN"]
    yield results


def expected_assignments(task: dict) -> set[tuple[str, str]]:
    pairs = set()
    for role, field in (
        ("lead", "lead_units"),
        ("responsible", "responsible_units"),
        ("cooperating", "cooperating_units"),
    ):
        for unit in task[field]:
            members = STREETS if unit == "各街道办事处" else [unit]
            pairs |= {(m, role) for m in members}
    return pairs


def same_unit(assigned: str, printed: str) -> bool:
    """Intake sends normalised names: a shared prefix is made explicit (区发改委、工信局 →
    区工信局, 区委编办、改革办 → 区委改革办), so an assignment is the printed name or that
    name behind a short prefix."""
    return assigned.endswith(printed) and len(assigned) - len(printed) <= 2


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_every_task_arrives_with_its_assignments(seed: str, flowed: dict) -> None:
    result = flowed[seed]
    truth_tasks = result["truth"]["tasks"]
    got = {t["number"]: t for t in result["tasks"]}
    assert sorted(got) == sorted(t["number"] for t in truth_tasks)
    for truth in truth_tasks:
        task = got[truth["number"]]
        assert task["text"] == truth["text"]
        assert task["leaders"] == truth["leaders"]
        pairs = sorted((a["unit"], a["role"]) for a in task["assignments"])
        want = sorted(expected_assignments(truth))
        assert len(pairs) == len(want), truth["number"]
        for printed, role in want:
            assert any(r == role and same_unit(u, printed) for u, r in pairs), (
                truth["number"],
                printed,
                role,
            )


def test_groups_the_directory_knows_are_expanded(flowed: dict) -> None:
    expanded = [
        a
        for t in flowed["001"]["tasks"]
        for a in t["assignments"]
        if a["via_group"] == "各街道办事处"
    ]
    assert {a["unit"] for a in expanded} == set(STREETS)
    unknown_groups = {a["unit"] for t in flowed["002"]["tasks"] for a in t["assignments"]}
    assert "各乡（镇）人民政府" in unknown_groups, "a group the directory lacks stays as printed"


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_milestones_carry_the_deadline_dates(seed: str, flowed: dict) -> None:
    got = {t["number"]: t for t in flowed[seed]["tasks"]}
    for truth in flowed[seed]["truth"]["tasks"]:
        want = sorted(d["date"] for d in truth["deadlines"] if d["date"])
        have = sorted(m["due_date"] for m in got[truth["number"]]["milestones"] if m["due_date"])
        assert sorted(set(have)) == sorted(set(want)), truth["number"]


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_indicators_come_from_the_targets(seed: str, flowed: dict) -> None:
    got = {t["number"]: t for t in flowed[seed]["tasks"]}
    for truth in flowed[seed]["truth"]["tasks"]:
        indicators = got[truth["number"]]["indicators"]
        assert len(indicators) == len(truth["targets"]), truth["number"]
        assert all(i["comparator"] in ("≥", "≤", "=", "≈") for i in indicators)


def test_reporting_rounds_follow_each_notice(flowed: dict) -> None:
    rounds = flowed["rounds"]
    assert [(r["due_date"], r["period"]) for r in rounds["001"]] == [
        ("2022-06-30", "2022-H1"),
        ("2022-09-30", "2022-Q3"),
        ("2022-12-31", "2022-Y"),
    ]
    quarterly = [
        r["due_date"] for r in rounds["002"] if r["period"].endswith(("Q1", "Q2", "Q3", "Q4"))
    ]
    assert quarterly == ["2021-03-30", "2021-06-30", "2021-09-30", "2021-12-30"]
    assert [r["source"] for r in rounds["000"]] == ["policy"] * 4, "no dates: quarter ends"
