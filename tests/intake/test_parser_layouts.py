"""Issue 13: the parser reads the layouts real notices and reports come in.

* Every seed notice rewritten by the layout mutator (layout_mutator.py) into every class
  parses back to its truth: 1.000 on tasks, units and leaders, ≥ 0.98 on deadlines and
  targets, scored as ``duban score`` scores a corpus.
* Each class also has small invented documents with truth (fixtures/layouts), written the
  way the class appears in real notices and reports.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from layout_mutator import VARIANTS, variants, write_corpus

from services.intake.parsing import ParseError, parse_notice
from services.intake.parsing.score import score_corpus, score_notice

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "layouts"
EXACT = ("leaders", "lead_units", "responsible_units", "cooperating_units")
CLOSE = ("deadlines", "targets")

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")


@pytest.fixture(scope="module")
def mutated() -> dict[str, tuple[str, dict]]:
    return variants(CORPUS)


@needs_corpus
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_seed_variant_parses_to_its_truth(
    mutated: dict[str, tuple[str, dict]], variant: str
) -> None:
    keys = [key for key in mutated if key.endswith(f".{variant}")]
    assert len(keys) == 3
    for key in keys:
        text, truth = mutated[key]
        parsed = parse_notice(text, file=truth["file"]).model_dump()
        assert [t["number"] for t in parsed["tasks"]] == [t["number"] for t in truth["tasks"]]
        scores = score_notice(parsed, truth)
        for field in EXACT:
            assert scores[field].f1 == 1.0, (key, field, scores[field])
        for field in CLOSE:
            assert scores[field].f1 >= 0.98, (key, field, scores[field])


@needs_corpus
def test_duban_score_over_the_variant_corpus(tmp_path: Path) -> None:
    write_corpus(CORPUS, tmp_path)
    results = score_corpus(tmp_path)
    assert len(results) == 3 * len(VARIANTS)
    for name, result in results.items():
        got, want = result["task_count"]
        assert got == want, name
        assert all(result["scores"][f].f1 == 1.0 for f in EXACT), name


def _fixtures() -> list[str]:
    return sorted(path.stem for path in (FIXTURES / "truth").glob("*.json"))


def test_there_is_an_invented_document_for_every_class() -> None:
    classes = {name.split("_")[0] for name in _fixtures()}
    assert classes == {"c1", "c2", "c3", "c4", "c5", "c6"}


@pytest.mark.parametrize("name", _fixtures())
def test_invented_documents_score_against_their_truth(name: str) -> None:
    result = score_corpus(FIXTURES)[f"{name}.txt"]
    truth = json.loads((FIXTURES / "truth" / f"{name}.json").read_text(encoding="utf-8"))
    if truth.get("kind") == "report":
        assert result["kind"] == "report"
        assert result["scores"]["main_targets"].f1 == 1.0, result["scores"]
        assert result["scores"]["promises"].f1 == 1.0, result["scores"]
        return
    got, want = result["task_count"]
    assert got == want
    for field in EXACT:
        assert result["scores"][field].f1 == 1.0, (field, result["scores"][field])
    for field in CLOSE:
        assert result["scores"][field].f1 >= 0.98, (field, result["scores"][field])


def test_review_year_results_are_not_targets() -> None:
    text = (FIXTURES / "seeds" / "c6_report_spaced.txt").read_text(encoding="utf-8")
    parsed = parse_notice(text)
    assert parsed.kind == "report" and parsed.year == 2019
    assert not any("98.6" in target.phrase for target in parsed.targets)
    assert not any("云溪一中" in task.text for task in parsed.tasks)
    assert parsed.targets[4].value is None  # 与经济增长基本同步: a goal without a number


def test_a_missing_attachment_gives_a_draft_with_a_warning() -> None:
    text = (FIXTURES / "seeds" / "c5_attachment.txt").read_text(encoding="utf-8")
    covering_letter = text.split("\n附件\n")[0]
    parsed = parse_notice(covering_letter)
    assert parsed.kind == "notice" and parsed.tasks == []
    assert [w.code for w in parsed.warnings] == ["ATTACHMENT_MISSING"]
    assert parsed.issued_date == "2024-03-15"


def test_body_sentences_before_an_attachment_are_not_tasks() -> None:
    text = (FIXTURES / "seeds" / "c5_attachment.txt").read_text(encoding="utf-8")
    parsed = parse_notice(text)
    assert [t.number for t in parsed.tasks] == ["1", "2", "3"]
    assert parsed.issued_date == "2024-03-15"
    assert parsed.reporting_requirements == ["每季度末月20日前报送进展情况"]


def test_a_refusal_says_what_each_layout_found() -> None:
    cells = "\n".join(f"{i}\t推进{'重点' * (i % 9)}工作\t县发改委" for i in range(1, 36))
    with pytest.raises(ParseError) as refused:
        parse_notice(f"某县人民政府\n关于某事的通知\n{cells}\n")
    assert "找到 35 行表格单元，但没有表头" in str(refused.value)
    with pytest.raises(ParseError) as refused:
        parse_notice("某县人民政府\n一、加强领导\n二、强化督查\n")
    assert "找到 2 个编号条目" in str(refused.value)


def test_an_ongoing_deadline_cell_is_kept_without_a_warning() -> None:
    text = (FIXTURES / "seeds" / "c4_grid_bar.txt").read_text(encoding="utf-8")
    parsed = parse_notice(text)
    assert [d.phrase for d in parsed.tasks[2].deadlines] == ["长期坚持"]
    assert not [w for w in parsed.warnings if w.code == "UNDATED_DEADLINE"]
