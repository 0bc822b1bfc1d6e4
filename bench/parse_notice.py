"""Benchmark (issue 3, acceptance 4): median time of parse_notice on each seed text.

Run: python bench/parse_notice.py [RUNS]. Reads ../shared/corpus/seeds next to the repo.
Target: < 50 ms median per seed notice on one core.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.intake.parsing import parse_notice  # noqa: E402

SEEDS = REPO.parent / "shared" / "corpus" / "seeds"


def median_ms(text: str, runs: int) -> float:
    """Median wall time of one parse in milliseconds over ``runs`` runs (after a warm-up)."""
    parse_notice(text)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        parse_notice(text)
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        kind = parse_notice(text).kind
        print(f"{path.name}\t{kind}\t{len(text)} chars\tmedian {median_ms(text, runs):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
