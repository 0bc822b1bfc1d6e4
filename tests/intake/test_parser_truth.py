"""Issue 3 acceptance 1: the parser against the hand-made truth of the three seed notices.

Thresholds are the issue's; they are never lowered. The corpus lives next to the repository
(../shared/corpus); without it these tests are skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from services.intake.parsing import parse_notice
from services.intake.parsing.score import Score, score_notice, total

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
TRUTH_FILES = sorted((CORPUS / "truth").glob("*.json")) if CORPUS.is_dir() else []
REPORT_SEEDS = sorted(p for p in (CORPUS / "seeds").glob("*.txt")) if CORPUS.is_dir() else []

# In CI the corpus must be there: a missing corpus fails instead of skipping.
IN_CI = os.environ.get("CI", "").lower() == "true"
pytestmark = pytest.mark.skipif(
    not TRUTH_FILES and not IN_CI, reason=f"no truth corpus at {CORPUS}"
)


def _load(truth_path: Path) -> tuple[dict, dict]:
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    text = (CORPUS / "seeds" / truth["file"]).read_text(encoding="utf-8")
    return parse_notice(text, file=truth["file"]).model_dump(), truth


@pytest.fixture(scope="module")
def results() -> dict[str, tuple[dict, dict]]:
    return {path.stem: _load(path) for path in TRUTH_FILES}


@pytest.fixture(scope="module")
def overall(results: dict[str, tuple[dict, dict]]) -> dict[str, Score]:
    return total(score_notice(parsed, truth) for parsed, truth in results.values())


def test_the_corpus_is_there() -> None:
    assert len(TRUTH_FILES) == 3, f"expected three truth files in {CORPUS}"


def test_task_count_is_exact(results: dict[str, tuple[dict, dict]]) -> None:
    for name, (parsed, truth) in results.items():
        assert parsed["task_count"] == truth["task_count"], name
        assert [t["number"] for t in parsed["tasks"]] == [t["number"] for t in truth["tasks"]]


def test_numbers_paths_and_texts_are_verbatim(results: dict[str, tuple[dict, dict]]) -> None:
    for name, (parsed, truth) in results.items():
        for got, want in zip(parsed["tasks"], truth["tasks"], strict=True):
            assert (got["path"], got["text"]) == (want["path"], want["text"]), (
                name,
                want["number"],
            )


def test_header_fields(results: dict[str, tuple[dict, dict]]) -> None:
    fields = (
        "doc_number",
        "issuer",
        "title",
        "issued_date",
        "year",
        "recipients",
        "reporting_requirements",
    )
    for name, (parsed, truth) in results.items():
        assert {f: parsed[f] for f in fields} == {f: truth[f] for f in fields}, name
        assert parsed["kind"] == "notice"


@pytest.mark.parametrize(
    "field", ["leaders", "lead_units", "responsible_units", "cooperating_units"]
)
def test_people_and_units_f1(overall: dict[str, Score], field: str) -> None:
    assert overall[field].f1 >= 0.98, overall[field]


def test_deadline_dates_f1(overall: dict[str, Score]) -> None:
    assert overall["deadlines"].f1 >= 0.95, overall["deadlines"]


def test_targets_f1(overall: dict[str, Score]) -> None:
    # The quantity alone, and the phrase from its number on (unit and trailing comparator
    # exact): both held. Where a phrase starts is left to the annotator's taste.
    assert overall["targets"].f1 >= 0.90, overall["targets"]
    assert overall["targets_core"].f1 >= 0.90, overall["targets_core"]


def test_every_file_meets_thresholds_on_its_own(results: dict[str, tuple[dict, dict]]) -> None:
    for name, (parsed, truth) in results.items():
        scores = score_notice(parsed, truth)
        for field in ("leaders", "lead_units", "responsible_units", "cooperating_units"):
            assert scores[field].f1 >= 0.98, (name, field, scores[field])
        assert scores["deadlines"].f1 >= 0.95, (name, scores["deadlines"])
        assert scores["targets"].f1 >= 0.90, (name, scores["targets"])
        assert scores["targets_core"].f1 >= 0.90, (name, scores["targets_core"])


def test_narrative_reports_are_recognised() -> None:
    truth_names = {path.stem for path in TRUTH_FILES}
    reports = [p for p in REPORT_SEEDS if p.stem not in truth_names]
    assert reports, "expected the narrative report seeds next to the notices"
    for path in reports:
        parsed = parse_notice(path.read_text(encoding="utf-8"), file=path.name)
        assert parsed.kind == "report", path.name
        assert parsed.targets, path.name
        assert all(not t.lead_units and not t.responsible_units for t in parsed.tasks)


def test_2024_work_report_main_targets() -> None:
    """Acceptance 3: 地区生产总值增长6%左右 … 城镇新增就业7400人以上 come out as targets."""
    parsed_all = [parse_notice(p.read_text(encoding="utf-8")) for p in REPORT_SEEDS]
    reports = [p for p in parsed_all if p.kind == "report" and p.title == "政府工作报告"]
    assert len(reports) == 1
    parsed = reports[0]
    assert parsed.year == 2024
    phrases = [t.phrase for t in parsed.targets]
    assert phrases[0] == "地区生产总值增长6%左右"
    assert "城镇新增就业7400人以上" in phrases
    gdp = parsed.targets[0]
    assert (gdp.comparator, gdp.value, gdp.unit) == ("≈", 6.0, "%")
