"""Issue 13's defects, each with a test that fails on the parser before the fix.

(a) Making the shared prefix explicit must not corrupt names that already carry it.
(b) A task without 责任领导 in a notice whose other tasks name one gets a warning.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services.intake.parsing import parse_notice
from services.intake.parsing.units import expand_prefixes

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "seeds"

NOTICE = """松川县人民政府
关于2025年重点工作任务分解的通知
各乡（镇）人民政府，县人民政府各部门：
一、城市建设
（一）整治背街小巷18条，年底前完工。
责任领导：何青
责任单位：县住建局、县城市管理局、城乡规划局
（二）新建停车泊位600个。
责任单位：县城市管理局、公安局
（三）改造供水管网12公里。
责任领导：何青  梁一舟
责任单位：松川水务集团、县水利局
2025年2月20日
"""


def _names(text: str) -> dict[str, str]:
    parsed = parse_notice(text)
    return {ref.verbatim: ref.name for task in parsed.tasks for ref in task.units}


def test_a_name_that_carries_the_county_prefix_keeps_it() -> None:
    names = _names(NOTICE)
    assert names["县城市管理局"] == "县城市管理局"
    assert names["城乡规划局"] == "县城乡规划局"
    assert names["公安局"] == "县公安局"


def test_a_name_that_names_its_place_gets_no_prefix() -> None:
    assert expand_prefixes(["区发改委", "卫东生态环境分局"], ("平顶山", "卫东")) == [
        "区发改委",
        "卫东生态环境分局",
    ]
    assert expand_prefixes(["区发改委", "北湖区税务局"]) == ["区发改委", "北湖区税务局"]
    text = NOTICE.replace("松川县人民政府", "江州市松川区人民政府").replace(
        "松川水务集团、县水利局", "县水利局、松川生态环境分局"
    )
    assert _names(text)["松川生态环境分局"] == "松川生态环境分局"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="no seed corpus")
@pytest.mark.parametrize(
    ("seed", "verbatim"), [("002_", "县城市管理局"), ("001_", "卫东生态环境分局")]
)
def test_seed_names_are_not_doubled(seed: str, verbatim: str) -> None:
    path = next(SEEDS.glob(f"{seed}*.txt"))
    names = _names(path.read_text(encoding="utf-8"))
    assert names[verbatim] == verbatim


def test_a_task_without_a_leader_among_led_tasks_is_warned_about() -> None:
    parsed = parse_notice(NOTICE)
    missing = [w for w in parsed.warnings if w.code == "NO_LEADER"]
    assert [w.task for w in missing] == ["（二）"]
    assert "责任领导" in missing[0].message


def test_no_leader_warning_when_the_notice_names_no_leaders() -> None:
    text = "\n".join(line for line in NOTICE.splitlines() if not line.startswith("责任领导"))
    assert not [w for w in parse_notice(text).warnings if w.code == "NO_LEADER"]
