"""Two senders on one PostgreSQL database (two replicas) share the work and never deliver a
message twice; on SQLite (one process) two sender threads do the same."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from delivery_world import MORNING, contact, deliver_event, deliveries, reminder, sender, wecom

from services.notify.channels.base import Outcome
from services.notify.spec import SPEC
from shared.service import ServiceRuntime


def test_two_senders_never_deliver_twice(notify) -> None:
    units = tuple(f"单位{n}" for n in range(40))
    for unit in units:
        contact(notify, owner=unit, userid=f"u-{unit}")
    app = wecom(default=Outcome.delivered("fake"))
    original = app.send

    def slow_send(message):
        time.sleep(0.002)
        return original(message)

    app.send = slow_send  # type: ignore[method-assign]
    deliver_event(notify, *(reminder(units=units, kind="urge", task=f"T{n}") for n in range(10)))
    # a second replica: its own engine and pool on the same database
    other = ServiceRuntime(SPEC, notify.settings, bus=None)  # type: ignore[arg-type]
    try:
        senders = [sender(notify, app, batch=25), sender(other, app, batch=25)]
        errors: list[BaseException] = []

        def run(s) -> None:
            try:
                for step in range(40):
                    s.run_once(MORNING + timedelta(seconds=step))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(s,)) for s in senders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        rows = deliveries(notify)
        assert len(rows) == 400 and {r.status for r in rows} == {"delivered"}
        counts = app.delivered_counts()
        assert set(counts) == {r.id for r in rows}
        assert max(counts.values()) == 1, "a delivery handed over twice"
    finally:
        other.dispose()
