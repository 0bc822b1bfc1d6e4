"""The deadline scan over 100,000 tasks with 1,000,000 milestones on PostgreSQL (target < 1 s).

    scripts/infra.sh start && eval "$(scripts/infra.sh env)"
    .venv/bin/python bench/deadline_scan.py [--tasks 100000] [--runs 3] [--today 2026-07-15]

Seeds a fresh database (dropped at the end) with two governments, four documents (half-yearly
and quarterly reporting rounds), 1–3 lead/responsible units per task (plus cooperating units,
who are not reminded), ten milestones per task spread over the year (most of the past ones
done, a few overdue), and the progress reports of the rounds already due (most units
reported). Then it times ``scan`` (and its commit) on ``today``:

* cold: reminder tables empty, every step that applies today is asked (the worst case: the
  first scan after deployment);
* daily: the previous working day was scanned, so only today's new steps are asked (what
  the 08:30 tick does every morning);
* warm: a second scan the same day, everything deduplicated, nothing new;

prints medians of ``--runs`` runs each, the candidates and requests, the plan of the
candidate query (EXPLAIN ANALYZE), and the time of ``refresh_signals`` (signals of every active
task) separately.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from services.tasks.calendar.store import load_calendar  # noqa: E402
from services.tasks.clock import BEIJING  # noqa: E402
from services.tasks.reminders import facts  # noqa: E402
from services.tasks.reminders.models import ReminderRequest  # noqa: E402
from services.tasks.reminders.policy import PolicyBook  # noqa: E402
from services.tasks.reminders.scan import (  # noqa: E402
    milestone_requests,
    round_requests,
    rounds_due,
    scan,
)
from services.tasks.reminders.scope import Scope, horizon_of  # noqa: E402
from services.tasks.signals.refresh import refresh_signals  # noqa: E402
from services.tasks.spec import SPEC  # noqa: E402
from shared.config import Settings  # noqa: E402
from shared.service import ServiceRuntime  # noqa: E402

YEAR = 2026
GOVERNMENTS = ("bench-gov-a", "bench-gov-b")
UNITS = 60  # per government
HALF_YEAR = [(f"{YEAR}-H1", date(YEAR, 6, 30)), (f"{YEAR}-Q3", date(YEAR, 9, 30))]
HALF_YEAR.append((f"{YEAR}-Y", date(YEAR, 12, 31)))
QUARTERLY = [(f"{YEAR}-Q{q}", date(YEAR, 3 * q, 30)) for q in (1, 2, 3, 4)]
ACTIVE_MIX = ["assigned"] * 10 + ["acknowledged"] * 20 + ["in_progress"] * 60
STATUS_MIX = ACTIVE_MIX + ["completion_requested"] * 3 + ["completed"] * 5 + ["suspended"] * 2
MILESTONE_PHRASES = ["前完成方案编制", "前启动建设", "前完成招标", "前完成主体工程", "前完成验收"]


def fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"duban_scan_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _copy(cursor, table: str, columns: tuple[str, ...], rows) -> int:  # type: ignore[no-untyped-def]
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def seed(service: ServiceRuntime, tasks: int, today: date, seed_value: int = 7) -> dict[str, int]:
    """COPY the whole data set in; returns row counts."""
    rng = random.Random(seed_value)
    now = datetime(YEAR, 1, 10, 9, tzinfo=UTC)
    documents = []  # (id, government, rounds)
    for g, government in enumerate(GOVERNMENTS):
        documents.append((f"doc-{g}-h", government, HALF_YEAR))
        documents.append((f"doc-{g}-q", government, QUARTERLY))
    raw = service.engine.raw_connection()
    counts: dict[str, int] = {}
    try:
        cur = raw.driver_connection.cursor()
        counts["document"] = _copy(
            cur,
            "document",
            ("id", "government_id", "doc_number", "title", "year", "published_at"),
            (
                (d, g, f"{d}〔{YEAR}〕1号", f"{YEAR}年重点工作任务分解 {d}", YEAR, now)
                for d, g, _ in documents
            ),
        )
        round_rows, round_ids = [], {}
        for d, g, rounds in documents:
            for period, due in rounds:
                round_ids[(d, due)] = len(round_rows) + 1
                round_rows.append((len(round_rows) + 1, g, d, period, due, "notice"))
        counts["reporting_round"] = _copy(
            cur,
            "reporting_round",
            ("id", "government_id", "document_id", "period", "due_date", "source"),
            round_rows,
        )
        task_rows, assignment_rows, milestone_rows, report_rows = [], [], [], []
        start, days = date(YEAR, 1, 1), 365
        for i in range(tasks):
            d, government, rounds = documents[i % len(documents)]
            task_id = f"{d}-t{i}"
            status = rng.choice(STATUS_MIX)
            elapsed = (today - start).days / days
            percent = max(0, min(100, int(rng.gauss(elapsed * 100, 20))))
            task_rows.append(
                (
                    task_id,
                    government,
                    d,
                    str(i),
                    json.dumps(["一、重点工作", f"（{i % 20 + 1}）专项"], ensure_ascii=False),
                    f"专项{i % 20 + 1}",
                    f"第{i}项：{YEAR}年底前完成某项重点工作，确保按期见效。",
                    YEAR,
                    json.dumps([f"领导{i % 12}"], ensure_ascii=False),
                    status,
                    "",
                    "green",
                    "按计划推进",
                    percent,
                    rng.random() < 0.01,
                    1,
                    now,
                    now,
                )
            )
            units = rng.sample(range(UNITS), 4)
            reminded = [("lead", units[0])]
            reminded += [("responsible", u) for u in units[1 : 1 + rng.choice((0, 1, 1, 2))]]
            cooperating = [("cooperating", units[3])] if rng.random() < 0.5 else []
            for role, u in reminded + cooperating:
                unit = f"{government}-单位{u}"
                assignment_rows.append((task_id, unit, role, None, "acknowledged", "", now))
            offsets = sorted(rng.sample(range(days), 10))
            for k, offset in enumerate(offsets):
                due = start + timedelta(offset)
                done = status == "completed" or (due < today and rng.random() < 0.97)
                milestone_rows.append(
                    (
                        task_id,
                        f"{due.month}月{due.day}日{MILESTONE_PHRASES[k % len(MILESTONE_PHRASES)]}",
                        "",
                        due,
                        due,
                        "done" if done else "open",
                    )
                )
            for period, due in rounds:
                if due >= today:
                    continue
                for _role, u in reminded:
                    if rng.random() < 0.9:
                        report_rows.append(
                            (
                                str(uuid.UUID(int=rng.getrandbits(128))),
                                task_id,
                                f"{government}-单位{u}",
                                round_ids[(d, due)],
                                f"{period}已完成阶段工作",
                                "继续推进",
                                "",
                                "",
                                percent,
                                "{}",
                                "[]",
                                f"{government}-单位{u}",
                                datetime.combine(due, datetime.min.time(), UTC),
                                "accepted",
                                "",
                            )
                        )
        counts["task"] = _copy(
            cur,
            "task",
            (
                "id",
                "government_id",
                "document_id",
                "number",
                "path",
                "section",
                "text",
                "year",
                "leaders",
                "status",
                "status_reason",
                "signal",
                "signal_reason",
                "percent_done",
                "exempt_reminders",
                "revision",
                "created_at",
                "updated_at",
            ),
            task_rows,
        )
        counts["assignment"] = _copy(
            cur,
            "assignment",
            ("task_id", "unit", "role", "via_group", "status", "note", "updated_at"),
            assignment_rows,
        )
        counts["milestone"] = _copy(
            cur,
            "milestone",
            ("task_id", "phrase", "about", "due_date", "original_due_date", "status"),
            milestone_rows,
        )
        counts["progress_report"] = _copy(
            cur,
            "progress_report",
            (
                "id",
                "task_id",
                "unit",
                "round_id",
                "done",
                "next_steps",
                "problems",
                "support_needed",
                "percent",
                "indicator_actuals",
                "attachments",
                "submitted_by",
                "submitted_at",
                "status",
                "review_comment",
            ),
            report_rows,
        )
        raw.commit()
        cur.execute("SELECT setval(pg_get_serial_sequence('reporting_round', 'id'), 1000)")
        raw.commit()
        raw.driver_connection.autocommit = True
        cur.execute("VACUUM ANALYZE")
        raw.driver_connection.autocommit = False
    finally:
        raw.close()
    return counts


def reset_reminders(service: ServiceRuntime) -> None:
    """Forget every reminder asked (and the events, urges and audit rows it wrote)."""
    with service.engine.begin() as conn:
        conn.execute(text("TRUNCATE reminder_request, outbox, urge, audit_entry"))


def timed_scan(service: ServiceRuntime, today: date) -> tuple[float, int]:
    now = datetime.combine(today, datetime.min.time().replace(hour=8, minute=30), BEIJING)
    with service.sessions() as session:
        calendar = load_calendar(session)
        session.rollback()
        started = time.perf_counter()
        with session.begin():
            requested = len(scan(session, today, now, calendar))
        return time.perf_counter() - started, requested


def count_requests(service: ServiceRuntime) -> int:
    with service.sessions() as session:
        return session.scalar(select(func.count()).select_from(ReminderRequest)) or 0


def explain_candidates(service: ServiceRuntime, today: date) -> list[str]:
    everything = Scope(True, frozenset(), {}, True)
    with service.sessions() as session:
        calendar = load_calendar(session)
        books = PolicyBook()
        query = facts.milestone_query(horizon_of(today, calendar, books), everything)
        compiled = query.compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        rows = session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).scalars().all()
        candidates = len(session.execute(query).all())
        steps = len(milestone_requests(session, today, calendar, books, everything))
        rounds = rounds_due(session, today, calendar, books)
        late = len(round_requests(session, rounds, everything))
    return [
        f"candidates: {candidates} open milestones (-> {steps} milestone steps to dedup), "
        f"{late} (task, round) pairs with units that have not reported",
        *rows,
    ]


def previous_workday(service: ServiceRuntime, today: date) -> date:
    with service.sessions() as session:
        return load_calendar(session).previous_workday(today)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--today", type=date.fromisoformat, default=date(YEAR, 7, 15))
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--reuse", help="an already seeded database (kept)")
    parser.add_argument("--seed-only", action="store_true", help="seed, print the name, keep")
    args = parser.parse_args()
    pg = os.environ.get("DUBAN_TEST_PG_URL")
    if not pg:
        sys.exit('set DUBAN_TEST_PG_URL (scripts/infra.sh start; eval "$(scripts/infra.sh env)")')
    if args.reuse:
        name = args.reuse
        url = make_url(pg).set(database=name).render_as_string(hide_password=False)
        args.keep = True
    else:
        name, url = fresh_database(pg)
    service = ServiceRuntime(
        SPEC,
        Settings(database_url=url, data_dir=Path(tempfile.mkdtemp())),
        bus=None,  # type: ignore[arg-type]
    )
    try:
        if args.reuse:
            with service.engine.connect() as conn:
                counts = {
                    t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in ("task", "milestone")
                }
        else:
            service.migrate()
            started = time.perf_counter()
            counts = seed(service, args.tasks, args.today)
            print(f"seeded {name} in {time.perf_counter() - started:.1f}s: {counts}", flush=True)
        if args.seed_only:
            args.keep = True
            return
        today, yesterday = args.today, previous_workday(service, args.today)

        results: dict[str, list[tuple[float, int]]] = {"cold": [], "daily": [], "warm": []}
        for run in range(args.runs):
            reset_reminders(service)
            results["cold"].append(timed_scan(service, today))
            results["warm"].append(timed_scan(service, today))
            reset_reminders(service)
            timed_scan(service, yesterday)  # yesterday's tick, untimed
            results["daily"].append(timed_scan(service, today))
            print(
                f"run {run + 1}: " + ", ".join(f"{k} {v[-1][0]:.3f}s" for k, v in results.items())
            )
        stored = count_requests(service)
        plan = explain_candidates(service, today)

        refresh = []
        with service.sessions() as session:
            calendar = load_calendar(session)
        for run in range(args.runs):
            with service.sessions.begin() as session:
                started = time.perf_counter()
                changed = refresh_signals(session, today, calendar)
                session.flush()
            refresh.append((time.perf_counter() - started, changed))
            print(
                f"refresh_signals run {run + 1}: {refresh[-1][0]:.3f}s, {changed} changed",
                flush=True,
            )

        print(
            f"\ndeadline scan on PostgreSQL, {counts['task']} tasks, {counts['milestone']} "
            f"milestones, today {today} (previous working day {yesterday}), "
            f"medians of {args.runs} runs (scan + commit)"
        )
        print(f"{'':8}{'seconds':>9}{'requests':>10}")
        for label, runs in results.items():
            seconds = statistics.median(r[0] for r in runs)
            print(
                f"{label:8}{seconds:>9.3f}{statistics.median(r[1] for r in runs):>10.0f}"
                f"   (runs: {', '.join(f'{r[0]:.3f}' for r in runs)})"
            )
        print(f"reminder requests stored after the last daily run: {stored}")
        print("\ncandidate query, EXPLAIN ANALYZE:")
        for line in plan:
            print("  " + line)
        print(
            f"\nrefresh_signals (every task that may need a colour): first {refresh[0][0]:.2f}s "
            f"({refresh[0][1]} changed), median of the rest "
            f"{statistics.median(r[0] for r in refresh[1:] or refresh):.2f}s "
            f"({refresh[-1][1]} changed)"
        )
    finally:
        service.dispose()
        if not args.keep:
            drop_database(pg, name)


if __name__ == "__main__":
    main()
