"""Acceptance 1 and 2 of the reporting issue: after the scripted year, every view's numbers
equal a straightforward recount from the raw events, and dropping the views and replaying
the journal gives identical views."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from recount import recount
from sqlalchemy import select
from year_world import AS_OF

from services.reporting import replay
from services.reporting.models import RoundView
from services.reporting.views import lists
from services.reporting.views.overview import overview
from services.reporting.views.ranking import ranking
from services.reporting.views.scope import Scope
from services.reporting.views.snapshot import snapshot

GOVS = ("default", "gov-yanshi", "gov-luanchuan")


@pytest.fixture(scope="module")
def reporting(both_databases):
    """Every test here runs on SQLite and on PostgreSQL."""
    return both_databases


def everything(reporting, gov: str) -> dict:
    scope = Scope(gov, None)
    with reporting.sessions() as session:
        snap = snapshot(session, scope, AS_OF)
        return {
            "overview": overview(session, scope, AS_OF).model_dump(mode="json"),
            "ranking": ranking(session, scope, AS_OF).model_dump(mode="json"),
            "buckets": [g.model_dump(mode="json") for g in lists.buckets(snap)],
            "leaders": [g.model_dump(mode="json") for g in lists.by_leader(snap)],
            "sections": [g.model_dump(mode="json") for g in lists.by_section(snap)],
            "rounds": [g.model_dump(mode="json") for g in lists.by_round(session, snap)],
            "overdue": [g.model_dump(mode="json") for g in lists.overdue(snap)],
            "missing": [g.model_dump(mode="json") for g in lists.missing(snap)],
            "indicators": [g.model_dump(mode="json") for g in lists.indicators(snap)],
            "tasks": [lists.detail(session, snap, t).model_dump(mode="json") for t in snap.tasks],
        }


@pytest.mark.parametrize("gov", GOVS)
def test_views_equal_the_recount(reporting, year_events, gov: str) -> None:
    want = recount(year_events, AS_OF, gov)
    tasks = want["tasks"]
    got = everything(reporting, gov)
    o = got["overview"]
    assert o["task_count"] == len(tasks) > 0
    assert o["by_status"] == dict(Counter(t["status"] for t in tasks.values()))
    assert o["by_signal"] == dict(Counter(t["colour"] for t in tasks.values()))
    assert o["by_schedule"] == dict(Counter(t["bucket"] for t in tasks.values()))
    done = sum(t["status"] == "completed" for t in tasks.values())
    assert o["completed"] == done
    assert o["on_time"] == sum(t["on_time"] for t in tasks.values())
    assert o["overdue"] == sum(t["overdue"] for t in tasks.values())
    assert o["missing_reports"] == len(want["missing"])
    assert o["tasks_missing_reports"] == len({t for t, _ in want["missing"]})
    assert o["completion_rate"] == round(100 * done / len(tasks), 1)
    # the ranking's counts, unit by unit
    units = {u["unit"]: u for u in got["ranking"]["units"]}
    assert set(units) == set(want["units"])
    for unit, figures in want["units"].items():
        for key in (
            "tasks",
            "as_lead",
            "as_responsible",
            "as_helper",
            "done",
            "done_on_time",
            "overdue",
            "missing",
            "ahead",
            "on_schedule",
            "behind",
        ):
            assert units[unit][key] == figures.get(key, 0), (unit, key)
    ranks = [u["rank"] for u in got["ranking"]["units"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    # the lists
    by_bucket = {g["name"]: {t["task_id"] for t in g["tasks"]} for g in got["buckets"]}
    for name, ids in by_bucket.items():
        assert ids == {k for k, t in tasks.items() if t["bucket"] == name}
    overdue = {r["task"]["task_id"]: r["workdays_overdue"] for r in got["overdue"]}
    assert overdue == {k: t["workdays"] for k, t in tasks.items() if t["overdue"]}
    missing = {(t["task_id"], m["unit"]) for m in got["missing"] for t in m["tasks"]}
    assert missing == want["missing"]
    for g in got["leaders"]:
        if not g["name"].startswith("（"):
            assert g["task_count"] == sum(g["name"] in t["leaders"] for t in tasks.values())
    assert sum(g["task_count"] for g in got["sections"]) == len(tasks)
    for detail in got["tasks"]:
        t = tasks[detail["task"]["task_id"]]
        assert detail["task"]["percent"] == t["percent"], "the tasks service's figure, not a max"
        assert {u["unit"]: u["percent"] for u in detail["units"]} == t["shares"]
        assert detail["timeline"][0]["kind"] in ("defined", "registered")


UNIT_COUNTS = (
    "tasks",
    "as_lead",
    "as_responsible",
    "as_helper",
    "done",
    "done_on_time",
    "overdue",
    "missing",
    "ahead",
    "on_schedule",
    "behind",
)


@pytest.mark.parametrize(
    "as_of",
    [date(2022, 1, 5), date(2022, 4, 1), date(2022, 7, 1), date(2022, 12, 20), date(2023, 2, 1)],
)
def test_the_counted_views_equal_the_recount_on_any_day(reporting, year_events, as_of) -> None:
    """What depends on the day and not on events (which round is owed, deadlines passed,
    序时进度) is worked out when asked: the same events, judged on other days."""
    for gov in GOVS:
        want = recount(year_events, as_of, gov)
        tasks = want["tasks"]
        scope = Scope(gov, None)
        with reporting.sessions() as session:
            o = overview(session, scope, as_of)
            units = {u.unit: u.model_dump() for u in ranking(session, scope, as_of).units}
        assert o.by_schedule == dict(Counter(t["bucket"] for t in tasks.values()))
        assert o.overdue == sum(t["overdue"] for t in tasks.values())
        assert o.missing_reports == len(want["missing"]), (gov, as_of)
        assert o.tasks_missing_reports == len({t for t, _ in want["missing"]})
        assert set(units) == set(want["units"])
        for unit, figures in want["units"].items():
            for key in UNIT_COUNTS:
                assert units[unit][key] == figures.get(key, 0), (gov, as_of, unit, key)


def test_the_ranking_of_a_named_round_equals_the_recount(reporting, year_events) -> None:
    for gov in GOVS:
        with reporting.sessions() as session:
            periods = set(session.scalars(select(RoundView.period)))
        for period in sorted(periods):
            want = recount(year_events, AS_OF, gov, period)
            with reporting.sessions() as session:
                got = ranking(session, Scope(gov, None), AS_OF, period)
            missing = {u.unit: u.missing for u in got.units}
            assert missing == {u: f.get("missing", 0) for u, f in want["units"].items()}, period


def test_a_completed_task_counts_as_done_not_as_a_colour(reporting) -> None:
    got = everything(reporting, "default")
    done = [t for g in got["buckets"] if g["name"] == "已完成" for t in g["tasks"]]
    assert done and all(t["signal"] == "done" for t in done)


def test_replay_gives_identical_views(reporting) -> None:
    before = {gov: everything(reporting, gov) for gov in GOVS}
    assert replay.rebuild(reporting.sessions) > 1000
    after = {gov: everything(reporting, gov) for gov in GOVS}
    assert after == before
