"""The fault scenarios of tests/test_faults.py, run longer than CI can afford: repeated
kill -9 rounds, the broker paused past the consumers' session timeout (35 s > 10 s, so
the groups rebalance and the producers' requests time out) and PostgreSQL stopped for
30 s (past the consumers' longest back-off). The same assertions hold: exact counts of
tasks, assignments, notices and reports, and every outbox matched against the inboxes by
event id. Prints what each scenario counted.

    scripts/infra.sh start && eval "$(scripts/infra.sh env)"
    .venv/bin/python bench/faults.py                 # 5 rounds, 35 s, 30 s
    .venv/bin/python bench/faults.py --rounds 10 -k kill

The broker is paused with SIGSTOP through its pid file (``DUBAN_INFRA_DIR``, default
var/infra), and always resumed."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# The facts of a scenario that are not its counts, in the order they are printed.
SKIP = {"scenario", "rounds", "seconds", "each"}


def run(args: argparse.Namespace) -> tuple[int, list[dict[str, Any]], float]:
    """pytest on tests/test_faults.py with the longer faults; its exit code and what each
    scenario recorded."""
    with tempfile.TemporaryDirectory(prefix="duban-faults-") as scratch:
        summary = Path(scratch) / "summary.jsonl"
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DUBAN_FAULT_ROUNDS": str(args.rounds),
            "DUBAN_FAULT_BROKER_PAUSE_S": str(args.broker_pause),
            "DUBAN_FAULT_DB_DOWN_S": str(args.db_down),
            "DUBAN_FAULT_SUMMARY": str(summary),
        }
        command = [
            sys.executable,
            "-m",
            "pytest",
            "tests/test_faults.py",
            "-q",
            "-p",
            "no:cacheprovider",
        ]
        if args.k:
            command += ["-k", args.k]
        began = time.monotonic()
        code = subprocess.call(command, cwd=REPO, env=env)
        elapsed = time.monotonic() - began
        lines = summary.read_text(encoding="utf-8").splitlines() if summary.exists() else []
    return code, [json.loads(line) for line in lines], elapsed


def facts(record: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in record.items() if k not in SKIP)


def report(
    records: list[dict[str, Any]], args: argparse.Namespace, elapsed: float, passed: bool
) -> None:
    print()
    print(
        f"duban faults: {args.rounds} kill rounds, broker paused {args.broker_pause:g} s, "
        f"PostgreSQL stopped {args.db_down:g} s; {elapsed:.0f} s in all"
    )
    for record in records:
        print(f"- {record['scenario']} ({record['seconds']} s): {facts(record)}")
        for n, each in enumerate(record.get("each", []), start=1):
            print(f"    round {n}: {facts(each)}")
    if passed:
        print("each scenario held: every outbox row published, each event id in each")
        print("subscriber's inbox once, no parked event but the poison, and the counts")
        print("exactly as published and sent")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="kill -9 rounds per scenario")
    parser.add_argument("--broker-pause", type=float, default=35.0, help="seconds")
    parser.add_argument("--db-down", type=float, default=30.0, help="seconds")
    parser.add_argument("-k", help="only the scenarios pytest -k selects")
    args = parser.parse_args()
    for needed in ("DUBAN_TEST_PG_URL", "DUBAN_TEST_KAFKA_BOOTSTRAP"):
        if not os.environ.get(needed):
            print(f'{needed} is not set: scripts/infra.sh start && eval "$(scripts/infra.sh env)"')
            return 2
    code, records, elapsed = run(args)
    report(records, args, elapsed, code == 0)
    if code != 0:
        print(f"FAILED: pytest exited with {code} (its output above names the scenario)")
    return code


if __name__ == "__main__":
    sys.exit(main())
