"""The incremental deadline scan asks exactly what a full scan would. Between ticks, random
changes of every input the scan declares (``scan_world.MUTATIONS``, derived from
``reminders.inputs.SCAN_INPUTS``) and random steps of the clock (a second tick the same day,
the next day, a few days of downtime); at each tick a full scan, rolled back, says what
looking at everything would ask, and the incremental scan must ask the same. On SQLite and
PostgreSQL; bounded (a fixed number of examples, derandomised, so CI is repeatable)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scan_world import FIRST_DAY, MUTATIONS, reset, seed
from sqlalchemy.exc import IntegrityError

from services.tasks.calendar.store import load_calendar
from services.tasks.clock import BEIJING
from services.tasks.reminders.scan import scan
from shared.service import ServiceRuntime

TICKS = st.lists(
    st.tuples(
        st.sampled_from([0, 1, 1, 1, 2, 4]),  # days to the next tick
        st.lists(st.sampled_from(sorted(MUTATIONS)), max_size=6),  # changes before it
        st.integers(0, 2**16),  # what they change
    ),
    min_size=4,
    max_size=12,
)


def _mutate(runtime: ServiceRuntime, name: tuple[str, str], rng: random.Random) -> None:
    try:
        with runtime.sessions.begin() as session:
            MUTATIONS[name](session, rng)
    except IntegrityError:
        pass  # a draw that would break a constraint (a unit twice on a task): no change


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ticks=TICKS)
def test_the_incremental_scan_asks_what_a_full_scan_would(
    tasks_service: ServiceRuntime, ticks: list[tuple[int, list[tuple[str, str]], int]]
) -> None:
    with tasks_service.sessions.begin() as session:
        reset(session)
        seed(session)
    day = FIRST_DAY
    asked = 0
    for step, changes, draw in ticks:
        rng = random.Random(draw)
        for name in changes:
            _mutate(tasks_service, name, rng)
        day += timedelta(step)
        now = datetime.combine(day, time(8, 30), BEIJING)
        with tasks_service.sessions() as session:  # what looking at everything would ask
            full = {r.key for r in scan(session, day, now, load_calendar(session), full=True)}
            session.rollback()
        with tasks_service.sessions.begin() as session:
            incremental = {r.key for r in scan(session, day, now, load_calendar(session))}
        missed, extra = sorted(full - incremental), sorted(incremental - full)
        assert not missed and not extra, (day, changes, missed[:3], extra[:3])
        asked += len(incremental)
    assert asked > 0, "a walk that asks nothing proves nothing"
