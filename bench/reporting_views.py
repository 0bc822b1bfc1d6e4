"""Acceptance 5 of the reporting issue: the overview and the unit ranking of one government
with 10,000 tasks, 100,000 assignments and 1,000,000 progress reports (as the read models
hold them: the latest figure per share, one mark per share and round reported, and on each
share the rounds it reported in, ``report_assignment.rounds``), on PostgreSQL, p95 < 200 ms.
The baseline in the same run: a trivial query (SELECT 1) through the same session factory.

    DUBAN_TEST_PG_URL=postgresql+psycopg://duban@127.0.0.1:55432/duban \\
        .venv/bin/python bench/reporting_views.py
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from services.reporting.models import AssignmentView, DocumentView, RoundView, TaskView, UnitRound
from services.reporting.spec import SPEC
from services.reporting.views.overview import overview
from services.reporting.views.ranking import ranking
from services.reporting.views.scope import Scope
from shared.config import Settings
from shared.service import ServiceRuntime

TASKS, UNITS, SHARES, REPORTS = 10_000, 1_000, 10, 1_000_000
AS_OF = date(2022, 10, 10)
ROUNDS = [
    ("2022-Q1", date(2022, 3, 31)),
    ("2022-Q2", date(2022, 6, 30)),
    ("2022-Q3", date(2022, 9, 30)),
    ("2022-Q4", date(2022, 12, 31)),
]


def fill(runtime: ServiceRuntime) -> None:
    rng = random.Random(5)
    now = datetime.now(UTC)
    docs = [f"doc-{n}" for n in range(10)]
    with runtime.sessions.begin() as s:
        s.execute(
            insert(DocumentView),
            [{"document_id": d, "government_id": "prov", "title": d, "year": 2022} for d in docs],
        )
        s.execute(
            insert(RoundView),
            [
                {
                    "document_id": d,
                    "period": p,
                    "due_date": due,
                    "due_day": due.toordinal(),
                    "seq": seq,
                }
                for d in docs
                for seq, (p, due) in enumerate(ROUNDS, start=1)
            ],
        )
        tasks = []
        for n in range(TASKS):
            due = date(2022, rng.randrange(3, 13), 28)
            status = rng.choice(["in_progress"] * 6 + ["completed", "assigned", "suspended"])
            done = date(2022, rng.randrange(2, 11), 15) if status == "completed" else None
            tasks.append(
                {
                    "task_id": f"t{n}",
                    "document_id": docs[n % 10],
                    "number": str(n),
                    "text": "任务",
                    "units": [],
                    "status": status,
                    "updated_at": now,
                    "government_id": "prov",
                    "signal": rng.choice(["red", "yellow", "green"]),
                    "signal_reason": "",
                    "percent": rng.randrange(101),
                    "section": "一、",
                    "leaders": ["王明"],
                    "lead_units": [],
                    "responsible_units": [],
                    "cooperating_units": [],
                    "milestones": [],
                    "year": 2022,
                    "start_day": date(2022, 2, 15).toordinal(),
                    "end_day": date(2022, 12, 31).toordinal(),
                    "first_due_day": due.toordinal(),
                    "deadline_day": due.toordinal(),
                    "completed_on": done,
                    "completed_day": done.toordinal() if done else None,
                }
            )
        s.execute(insert(TaskView), tasks)
        shares, marks = [], []
        for n in range(TASKS):
            for k, unit in enumerate(rng.sample(range(UNITS), SHARES)):
                role = "lead" if k == 0 else "responsible" if k < 6 else "cooperating"
                percent = rng.randrange(101)
                reported = rng.randrange(0, 4)  # its first rounds (as many, in the same order)
                shares.append(
                    {
                        "task_id": f"t{n}",
                        "unit": f"单位{unit}",
                        "government_id": "prov",
                        "role": role,
                        "status": "acknowledged",
                        "percent": percent,
                        "words": "",
                        "problems": "",
                        "last_report_at": now,
                        "reports": REPORTS // (TASKS * SHARES),
                        "rounds": "1" * reported + "0" * (len(ROUNDS) - reported),
                    }
                )
                for period, _ in ROUNDS[:reported]:
                    marks.append(
                        {
                            "task_id": f"t{n}",
                            "unit": f"单位{unit}",
                            "period": period,
                            "reports": 3,
                            "first_at": now,
                        }
                    )
        for i in range(0, len(shares), 20_000):
            s.execute(insert(AssignmentView), shares[i : i + 20_000])
        for i in range(0, len(marks), 20_000):
            s.execute(insert(UnitRound), marks[i : i + 20_000])
    with runtime.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


TARGET_P95_MS = 200


def timed(label: str, call, runs: int = 40) -> float:
    call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[int(0.95 * len(samples)) - 1]
    print(f"{label:<34} median {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms")
    return p95


def main() -> None:
    admin_url = os.environ["DUBAN_TEST_PG_URL"]
    name = f"duban_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        runtime = ServiceRuntime(
            SPEC, Settings(data_dir=Path(tempfile.mkdtemp()), database_url=url), bus=None
        )  # type: ignore[arg-type]
        runtime.migrate()
        start = time.perf_counter()
        fill(runtime)
        took = time.perf_counter() - start
        print(f"filled {TASKS} tasks, {TASKS * SHARES} shares, {REPORTS} reports in {took:.0f} s")
        scope = Scope("prov", None)

        def trivial() -> None:
            with runtime.sessions() as s:
                s.execute(text("SELECT 1")).scalar()

        def view_overview() -> None:
            with runtime.sessions() as s:
                overview(s, scope, AS_OF)

        def view_ranking() -> None:
            with runtime.sessions() as s:
                ranking(s, scope, AS_OF)

        timed("baseline: SELECT 1", trivial)
        worst = max(
            timed("overview (10k tasks)", view_overview),
            timed("unit ranking (1,000 units)", view_ranking),
        )
        verdict = "met" if worst < TARGET_P95_MS else "NOT met"
        print(f"p95 < {TARGET_P95_MS} ms: {verdict}")
        runtime.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
