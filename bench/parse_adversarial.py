"""Benchmark (issue 10): parse_notice on adversarial texts at the largest notice intake takes
(``DUBAN_INTAKE_MAX_NOTICE_CHARS``), and at half of it: the ratio shows the time is linear
(≈2 when doubling), the larger figure is the worst a notice can hold a worker.

Run: python bench/parse_adversarial.py [CHARS]   (default: the configured maximum)
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.intake.parsing import ParseError, parse_notice  # noqa: E402
from services.intake.settings import IntakeSettings  # noqa: E402

NOTICE = (REPO / "examples" / "qingchuan-2026-notice.txt").read_text(encoding="utf-8")
HEAD = "一、任务\n（一）"
LEAD = "\n牵头单位：县发改委"

CASES: dict[str, Callable[[int], str]] = {
    "one long line, no punctuation": lambda n: "推进" * (n // 2),
    "ASCII, no punctuation": lambda n: "a" * n,
    "only 、": lambda n: "、" * n,
    "a unit list of 、": lambda n: HEAD + "做好工作。" + LEAD + "、县发改委" * (n // 5),
    "repeated headings": lambda n: "一、标题\n" * (n // 5),
    "nested numbering": lambda n: "".join(f"{i % 9 + 1}.（一）" for i in range(n // 6)),
    "the notice repeated": lambda n: (NOTICE * (n // len(NOTICE) + 1))[:n],
    "one task of dates and targets": lambda n: (
        HEAD + "6月底前完成增长6%左右，新增就业7400人以上，" * (n // 24) + LEAD
    ),
    "dates, no clause stops": lambda n: HEAD + "6月底前" * (n // 4) + LEAD,
    "many small tasks": lambda n: (
        "一、任务\n"
        + "".join(f"（{i % 99 + 1}）做好工作。\n牵头单位：县发改委\n" for i in range(n // 20))
    ),
    "open brackets": lambda n: HEAD + "（" * n + LEAD,
    "opening quotes": lambda n: HEAD + "“县" * (n // 2) + LEAD,
    "inline labels in brackets": lambda n: HEAD + "做好（牵头单位：" + "县（发改委）、" * (n // 8),
    "table rows": lambda n: "|序号|任务|牵头单位|\n" * (n // 13),
}


def seconds(text: str) -> float:
    start = time.perf_counter()
    with contextlib.suppress(ParseError):
        parse_notice(text)
    return time.perf_counter() - start


def main() -> None:
    chars = int(sys.argv[1]) if len(sys.argv) > 1 else IntakeSettings().max_notice_chars
    print(f"{'case':34s} {chars // 2:>9d}  {chars:>9d}  ratio")
    worst = 0.0
    for name, make in CASES.items():
        half, full = seconds(make(chars // 2)), seconds(make(chars))
        worst = max(worst, full)
        print(f"{name:34s} {half:8.2f}s  {full:8.2f}s  {full / max(half, 1e-3):5.1f}", flush=True)
    print(f"worst: {worst:.2f}s at {chars} characters")


if __name__ == "__main__":
    main()
