"""Scoring a parsed notice against a hand-made truth file (../shared/corpus/truth).

Each field is compared as a multiset of (task number, value) pairs, so a value found in
the wrong task counts as both a miss and a false hit. Deadlines compare dates; targets
compare the quantity they state (first number and unit, see ``quantity_key``), because
the truth phrases' left edge ("完成投资255亿元" vs "投资255亿元") is a matter of taste.
A strict phrase-level figure is reported alongside for information.

Run ``python -m services.intake.parsing.score`` to print per-file, per-field figures.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.intake.parsing.targets import quantity_key

LIST_FIELDS = ("leaders", "lead_units", "responsible_units", "cooperating_units")
FIELDS = (*LIST_FIELDS, "deadlines", "targets", "targets_core", "targets_phrase")


@dataclass(frozen=True)
class Score:
    """Precision, recall and F1 from true positives and the sizes of both sides."""

    tp: int
    predicted: int
    expected: int

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Score) -> Score:
        return Score(
            self.tp + other.tp, self.predicted + other.predicted, self.expected + other.expected
        )


def compare(predicted: Iterable[Any], expected: Iterable[Any]) -> Score:
    """Multiset comparison of two collections of hashable items."""
    pred, exp = Counter(predicted), Counter(expected)
    return Score(sum((pred & exp).values()), sum(pred.values()), sum(exp.values()))


def _phrase(item: Any) -> str:
    return item["phrase"] if isinstance(item, dict) else str(item)


def core_phrase(phrase: str) -> str:
    """The phrase from its first digit on: the number, its unit and any trailing comparator
    (以上, 左右, 以内) must match exactly; only the words in front are a matter of taste."""
    match = re.search(r"[0-9０-９]", phrase)
    return phrase[match.start() :] if match else phrase


def _date(item: Any) -> str | None:
    return item.get("date") if isinstance(item, dict) else None


def _pairs(tasks: list[dict[str, Any]], field: str) -> list[tuple[str, str]]:
    """(task number, comparable value) pairs of one field over all tasks."""
    source = "targets" if field.startswith("targets") else field
    value_of: Callable[[Any], str | None] = {
        "deadlines": _date,
        "targets": lambda item: quantity_key(_phrase(item)),
        "targets_core": lambda item: core_phrase(_phrase(item)),
        "targets_phrase": _phrase,
    }.get(field, str)
    return [
        (task["number"], value)
        for task in tasks
        for item in task.get(source, [])
        if (value := value_of(item)) is not None
    ]


def score_notice(parsed: dict[str, Any], truth: dict[str, Any]) -> dict[str, Score]:
    """Per-field scores of one parsed notice (as a JSON-like dict) against its truth."""
    return {
        field: compare(_pairs(parsed.get("tasks", []), field), _pairs(truth["tasks"], field))
        for field in FIELDS
    }


REPORT_FIELDS = ("main_targets", "promises")


def _target_key(item: Any) -> str:
    phrase = _phrase(item)
    return quantity_key(phrase) or re.sub(r"\s+", "", phrase)


def score_report(parsed: dict[str, Any], truth: dict[str, Any]) -> dict[str, Score]:
    """A report's main targets (by the quantity they state, or the words of a qualitative
    one) and its dated promises (by date and phrase), against a report truth file:
    {"kind": "report", "year", "targets": [phrase…], "promises": [{"phrase", "date"}…]}."""
    promised = [
        (d["date"], d["phrase"])
        for task in parsed.get("tasks", [])
        for d in task.get("deadlines", [])
        if d.get("date") and d.get("about") not in ("完成时限", "长期任务")
    ]
    return {
        "main_targets": compare(
            map(_target_key, parsed.get("targets", [])), map(_target_key, truth["targets"])
        ),
        "promises": compare(promised, ((p["date"], p["phrase"]) for p in truth["promises"])),
    }


def total(scores: Iterable[dict[str, Score]]) -> dict[str, Score]:
    """Micro-averaged scores over several files (each field over the files that have it)."""
    out: dict[str, Score] = {}
    for per_file in scores:
        for field, score in per_file.items():
            out[field] = out.get(field, Score(0, 0, 0)) + score
    return out


def corpus_dir() -> Path:
    """../shared/corpus next to the repository (the repo is this file's parents[3])."""
    return Path(__file__).resolve().parents[4] / "shared" / "corpus"


def score_corpus(corpus: Path) -> dict[str, dict[str, Any]]:
    """Parse every seed that has a truth file; return counts and scores per file."""
    from services.intake.parsing.notice import parse_notice

    results: dict[str, dict[str, Any]] = {}
    for truth_path in sorted((corpus / "truth").glob("*.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        seed = corpus / "seeds" / truth["file"]
        parsed = parse_notice(seed.read_text(encoding="utf-8"), file=truth["file"])
        if truth.get("kind") == "report":
            scores = score_report(parsed.model_dump(), truth)
            count = (len(parsed.tasks), len(parsed.tasks))
        else:
            scores = score_notice(parsed.model_dump(), truth)
            count = (parsed.task_count, truth["task_count"])
        results[truth["file"]] = {"task_count": count, "scores": scores, "kind": parsed.kind}
    return results


def _row(name: str, scores: dict[str, Score]) -> str:
    cells = [f"{f}: P={s.precision:.3f} R={s.recall:.3f} F1={s.f1:.3f}" for f, s in scores.items()]
    return f"{name}\n  " + "\n  ".join(cells)


def main(argv: list[str] | None = None) -> int:
    """Print per-file and overall precision, recall and F1 for every field."""
    args = sys.argv[1:] if argv is None else argv
    corpus = Path(args[0]) if args else corpus_dir()
    results = score_corpus(corpus)
    for name, result in results.items():
        got, want = result["task_count"]
        print(f"{_row(name, result['scores'])}\n  task_count: {got} (truth {want})")
    notices = [r["scores"] for r in results.values() if "leaders" in r["scores"]]
    reports = [r["scores"] for r in results.values() if "promises" in r["scores"]]
    if notices:
        print(_row("overall (notices)", total(notices)))
    if reports:
        print(_row("overall (reports)", total(reports)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
