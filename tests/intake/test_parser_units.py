"""Golden tests of the notice parser on small invented notices (青禾县, 2025).

Every snippet is made up in the genre of real task-decomposition notices; none is copied
from the seed corpus.
"""

from __future__ import annotations

import random

import pytest

from services.intake.parsing import ParseError, UnitDirectory, parse_notice
from services.intake.parsing.dates import find_deadlines
from services.intake.parsing.labels import split_labels
from services.intake.parsing.structure import match_numbered
from services.intake.parsing.targets import find_targets, quantity_key
from services.intake.parsing.text import normalise
from services.intake.parsing.units import expand_prefixes, is_group, split_people, split_units

TWO_LEVEL = """青政〔2025〕3号
青禾县人民政府

关于印发政府工作报告2025年重点工作

责任分解的通知
各乡（镇）人民政府，县人民政府各部门：

现将2025年重点工作予以分解。各单位于2025年6月30日、12月31日前分别报送上半年和全年进展情况。
一、稳住经济基本盘
（一）抓好项目建设。实施重点项目42个，完成投资86亿元以上。青禾大桥6月底前通车。

责任领导：马 远  周一川

责任单位：县发改委、财政局、交通局，各乡（镇）人民政府
（二）壮大市场主体。全年新增市场主体不少于3000户。

责任领导：周一川

责任单位：县市场监管局
二、办好民生实事
（三）建设幼儿园。新建公办幼儿园4所，“十一”前投入使用。

责任领导：林小满

责任单位：县教育局

二〇二五年三月十日
"""

THREE_LEVEL = """禾政办〔2024〕11号
禾川市人民政府办公室
关于2024年重点工作任务分解的通知
各区人民政府，市直各单位：
请于每季度末月25日前报送进展情况，年底前报告全年落实情况。
一、推动产业升级
（一）做强制造业
1.推进智能工厂建设，年内建成智能工厂5家。
牵头单位：市工信局
责任单位：市发改委
2.实施技改项目，一季度开工技改项目20个。
牵头单位:市工信局
协办单位:市财政局、市科技局
（二）发展服务业
1、培育物流企业，上半年新增A级物流企业3家。
牵头单位：市商务局
责任单位：各区人民政府
"""


def test_two_level_notice_header_and_tasks() -> None:
    parsed = parse_notice(TWO_LEVEL, file="qinghe.txt")
    assert parsed.kind == "notice"
    assert parsed.doc_number == "青政〔2025〕3号"
    assert parsed.issuer == "青禾县人民政府"
    assert parsed.title == "关于印发政府工作报告2025年重点工作责任分解的通知"
    assert parsed.recipients == "各乡（镇）人民政府，县人民政府各部门"
    assert parsed.issued_date == "2025-03-10"
    assert parsed.year == 2025
    assert [r.date for r in parsed.reporting_rounds] == ["2025-06-30", "2025-12-31"]
    assert [t.number for t in parsed.tasks] == ["（一）", "（二）", "（三）"]
    first = parsed.tasks[0]
    assert first.path == ["一、稳住经济基本盘"]
    assert first.text.startswith("抓好项目建设。")
    assert first.leaders == ["马远", "周一川"]
    assert first.responsible_units == ["县发改委", "财政局", "交通局", "各乡（镇）人民政府"]
    assert [u.name for u in first.units] == [
        "县发改委",
        "县财政局",
        "县交通局",
        "各乡（镇）人民政府",
    ]
    assert [u.is_group for u in first.units] == [False, False, False, True]
    assert [(d.phrase, d.date) for d in first.deadlines] == [("6月底前", "2025-06-30")]
    assert [t.phrase for t in first.targets] == ["实施重点项目42个", "完成投资86亿元以上"]
    assert parsed.tasks[2].deadlines[0].date == "2025-09-30"


def test_three_levels_half_width_colons_and_cooperating_units() -> None:
    parsed = parse_notice(THREE_LEVEL)
    assert [t.number for t in parsed.tasks] == ["1", "2", "1"]
    assert parsed.tasks[0].path == ["一、推动产业升级", "（一）做强制造业"]
    assert parsed.tasks[2].path == ["一、推动产业升级", "（二）发展服务业"]
    assert parsed.tasks[1].lead_units == ["市工信局"]
    assert parsed.tasks[1].cooperating_units == ["市财政局", "市科技局"]
    assert parsed.tasks[1].deadlines[0].date == "2024-03-31"
    assert parsed.tasks[2].deadlines[0].date == "2024-06-30"
    assert parsed.reporting_requirements == [
        "每季度末月25日前报送进展情况",
        "年底前报告全年落实情况",
    ]
    assert [r.date for r in parsed.reporting_rounds] == [
        "2024-03-25",
        "2024-06-25",
        "2024-09-25",
        "2024-12-25",
        "2024-12-31",
    ]


def test_missing_units_and_unknown_label_are_warned() -> None:
    text = """关于2025年重点工作分工的通知
各镇人民政府：
一、工作任务
1.修缮文化站3处。
责任领导：程亮
牵头单位：县文旅局
2.开展巡河行动。
责任领导：程亮
督导单位：县水利局
3.清理河道垃圾。
牵头单位：县水利局
完成时限：汛前
"""
    parsed = parse_notice(text)
    assert parsed.task_count == 3
    codes = {(w.code, w.task) for w in parsed.warnings}
    assert ("NO_LEAD_UNIT", "2") in codes
    assert ("UNKNOWN_LABEL", "2") in codes
    assert parsed.tasks[2].deadlines == [parsed.tasks[2].deadlines[0]]
    assert parsed.tasks[2].deadlines[0].date == "2025-05-31"
    assert all(w.message for w in parsed.warnings)


def test_inline_labels_in_brackets() -> None:
    text = """关于2025年民生实事任务分解的通知
各有关单位：
一、民生实事
1.改造老旧小区12个，10月底前完工。（牵头单位：县住建局；责任单位：城关镇、东坡镇）
2.新增城镇就业1500人以上。（责任单位：县人社局；完成时限：2025年12月底）
"""
    parsed = parse_notice(text)
    assert parsed.task_count == 2
    assert parsed.tasks[0].text == "改造老旧小区12个，10月底前完工。"
    assert parsed.tasks[0].lead_units == ["县住建局"]
    assert parsed.tasks[0].responsible_units == ["城关镇", "东坡镇"]
    assert [d.date for d in parsed.tasks[1].deadlines] == ["2025-12-31"]


@pytest.mark.parametrize(
    ("line", "label", "rest"),
    [
        ("一、总体要求", "一", "总体要求"),
        ("（十二）加强监管", "（十二）", "加强监管"),
        ("(3)拓展市场", "(3)", "拓展市场"),
        ("12.推进改革", "12", "推进改革"),
        ("7、建设园区", "7", "建设园区"),
        ("②完善制度", "②", "完善制度"),
    ],
)
def test_numbering_styles(line: str, label: str, rest: str) -> None:
    numbered = match_numbered(line)
    assert numbered is not None
    assert (numbered.label.rstrip("、.．"), numbered.rest) == (label, rest)


def test_decimal_at_line_start_is_not_a_number() -> None:
    assert match_numbered("1.5万亩高标准农田全部建成") is None


def test_label_variants_on_one_line() -> None:
    values = split_labels("责任领导：韩冬  牵头单位:县财政局；配合单位：县审计局")
    assert [(v.field, v.value) for v in values] == [
        ("leaders", "韩冬"),
        ("lead_units", "县财政局"),
        ("cooperating_units", "县审计局"),
    ]


def test_people_split_on_double_spaces_and_punctuation() -> None:
    assert split_people("王 丽  赵长河、孙 杰，李四") == ["王丽", "赵长河", "孙杰", "李四"]


def test_units_split_keeps_parentheses_and_strips_spaces() -> None:
    assert split_units("县委宣传部（网信办、文明办）、县财政局　，相关乡（镇）") == [
        "县委宣传部（网信办、文明办）",
        "县财政局",
        "相关乡（镇）",
    ]
    assert split_units("县自然资源和规划局") == ["县自然资源和规划局"]
    assert split_units("县发改委和县财政局") == ["县发改委", "县财政局"]


def test_shared_prefix_expansion() -> None:
    names = [
        "区发改委",
        "工信局",
        "投促中心",
        "城南街道",
        "区委政法委",
        "信访办",
        "农商银行",
        "市场监管局",
        "区直各单位",
    ]
    assert expand_prefixes(names) == [
        "区发改委",
        "区工信局",
        "区投促中心",
        "城南街道",
        "区委政法委",
        "区委信访办",
        "农商银行",
        "区市场监管局",
        "区直各单位",
    ]


@pytest.mark.parametrize(
    "name",
    [
        "各街道办事处",
        "各镇（街道）",
        "相关乡（镇）人民政府",
        "区直各单位",
        "县安委会成员单位",
        "县直各部门",
    ],
)
def test_groups(name: str) -> None:
    assert is_group(name)


@pytest.mark.parametrize(
    ("phrase", "date"),
    [
        ("3月底前建成", "2025-03-31"),
        ("11月20日前完成", "2025-11-20"),
        ("上半年签约", "2025-06-30"),
        ("前三季度完成", "2025-09-30"),
        ("第二季度开工", "2025-06-30"),
        ("年底前竣工", "2025-12-31"),
        ("年内完成", "2025-12-31"),
        ("“十一”前营业", "2025-09-30"),
        ("秋季开学投用", "2025-09-01"),
        ("春节前发放到位", "2026-02-16"),
        ("8月中旬完成", "2025-08-20"),
        ("2026年6月底前", "2026-06-30"),
    ],
)
def test_deadline_dates(phrase: str, date: str) -> None:
    found = find_deadlines(phrase, 2025)
    assert [m.date.isoformat() for m in found if m.date] == [date]


@pytest.mark.parametrize(
    "text",
    [
        "审批时间压减至40个工作日",
        "实施三年行动",
        "常态化开展巡查",
        "尽快落地见效",
        "年产值突破10亿元",
        "设置5年过渡期",
    ],
)
def test_not_deadlines(text: str) -> None:
    assert find_deadlines(text, 2025) == []


def test_targets_and_comparators() -> None:
    targets = find_targets(
        "全年新增贷款25亿元以上，失业率控制在4.5%以内，引进人才80名左右，"
        "建成国道208改线工程，治理PM2.5，创建4A景区1个，培育2—3家龙头企业。"
    )
    got = [(t.phrase, t.comparator, t.value, t.value_max, t.unit) for t in targets]
    assert got == [
        ("新增贷款25亿元以上", "≥", 25.0, None, "亿元"),
        ("失业率控制在4.5%以内", "≤", 4.5, None, "%"),
        ("引进人才80名左右", "≈", 80.0, None, "名"),
        ("创建4A景区1个", "=", 1.0, None, "个"),
        ("2—3家龙头企业", "=", 2.0, 3.0, "家"),
    ]


def test_chinese_numeral_counts_but_not_slogans() -> None:
    text = "推动五个项目投产，落实“三个一批”，建设十大工程，打造百亿级产业集群。"
    assert [t.phrase for t in find_targets(text)] == ["五个项目"]


def test_identifiers_in_quotes_are_not_targets() -> None:
    assert find_targets("落实“1+N”政策体系和“88231”行动") == []
    assert quantity_key("完成投资255亿元") == "255亿元"


def test_pdf_page_marks_and_hard_wraps_are_removed() -> None:
    body = "这是一段从版式文件中抽取出来的文字，行宽固定为三十个字左右的样子啊" * 1
    lines = [body[:30], body[30:], "— 3 —", "第 2 页 共 9 页"] * 24
    cleaned = normalise("\n".join(lines))
    assert "— 3 —" not in cleaned and "第 2 页" not in cleaned
    assert body in cleaned


def test_report_is_recognised() -> None:
    text = "\n".join(
        [
            "政 府 工 作 报 告",
            "——2025年1月8日在青禾县第三届人民代表大会第五次会议上",
            "各位代表：",
            "一、2024年工作回顾",
            "全年地区生产总值增长 5%。",
            "二、2025年主要目标任务",
            "今年经济社会发展的主要预期目标是：地区生产总值增长6%左右，城镇新增就业3000人以上。",
            "三、2025年重点工作",
            "新建县城第二水厂，6月底前建成通水。",
        ]
    )
    parsed = parse_notice(text)
    assert parsed.kind == "report"
    assert parsed.year == 2025
    assert [t.phrase for t in parsed.targets] == [
        "地区生产总值增长6%左右",
        "城镇新增就业3000人以上",
    ]
    assert [(t.text, t.deadlines[0].date) for t in parsed.tasks] == [
        ("新建县城第二水厂，6月底前建成通水。", "2025-06-30")
    ]


@pytest.mark.parametrize(
    "text", ["", "   \n\t ", "\x00\x01\x02binary", "今天天气很好，我们去公园散步。", 42]
)
def test_parse_error_cases(text: object) -> None:
    with pytest.raises(ParseError) as info:
        parse_notice(text)  # type: ignore[arg-type]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(info.value))


def _fuzz_inputs(count: int) -> list[str]:
    """Seeded random texts: genre characters, cut-up notices and decoded random bytes."""
    rng = random.Random(20250310)
    alphabet = (
        "一二三四五（）()、，。：:；1234567890.%责任单位领导牵头配合年月底前上半年县区局\n\t |—"
    )
    samples = []
    for _ in range(count):
        samples.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300))))
        lines = (TWO_LEVEL + THREE_LEVEL).split("\n")
        rng.shuffle(lines)
        samples.append("\n".join(lines[: rng.randint(0, len(lines))]))
        samples.append(bytes(rng.randrange(256) for _ in range(200)).decode("utf-8", "replace"))
    return samples


def test_only_parse_error_escapes_on_random_text() -> None:
    for sample in _fuzz_inputs(150):
        try:
            parsed = parse_notice(sample)
        except ParseError:
            continue
        assert parsed.task_count == len(parsed.tasks)
        assert parsed.kind in ("notice", "report")


def test_directory_resolves_aliases_groups_and_flags_unknown_units() -> None:
    directory = UnitDirectory(
        names=frozenset({"县发改委", "县财政局", "县交通局", "县市场监管局", "县教育局"}),
        aliases={"县交通运输局": "县交通局"},
        groups={"各乡（镇）人民政府": ["青禾镇人民政府", "东坡乡人民政府"]},
    )
    text = TWO_LEVEL.replace("交通局，", "交通运输局，").replace("县教育局", "县教体局")
    parsed = parse_notice(text, directory=directory)
    first = parsed.tasks[0].units
    assert [(u.name, u.known) for u in first] == [
        ("县发改委", True),
        ("县财政局", True),
        ("县交通局", True),
        ("各乡（镇）人民政府", True),
    ]
    assert first[3].members == ["青禾镇人民政府", "东坡乡人民政府"]
    unknown = [w for w in parsed.warnings if w.code == "UNKNOWN_UNIT"]
    assert [(w.task, "县教体局" in w.message) for w in unknown] == [("（三）", True)]


# Target phrase boundaries (truth README, **targets**): invented sentences only.


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        (
            "新建5个乡村振兴示范点，改造3条背街小巷和2座公厕。",
            ["5个乡村振兴示范点", "3条背街小巷", "2座公厕"],
        ),
        (
            "推动12家企业进入上市后备库，8栋厂房年底前交付，落实6项改革的配套政策。",
            ["12家企业", "8栋厂房", "6项改革"],
        ),
        ("做好15个老旧住宅小区物业规范化管理试点工作。", ["15个老旧住宅小区"]),
        ("谋划近40个储备项目，签约12个项目。", ["近40个储备项目", "12个项目"]),
        ("按照30%的比例给予补助。", ["30%的比例"]),
    ],
)
def test_counted_noun_follows_a_count(text: str, phrases: list[str]) -> None:
    assert [t.phrase for t in find_targets(text)] == phrases


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        (
            "全年力争新增岗位800个，培育省级专精特新企业15家以上。",
            ["新增岗位800个", "省级专精特新企业15家以上"],
        ),
        (
            "各类检测机构抽检合格率达到98%，二氧化硫浓度不高于20微克/立方米。",
            ["抽检合格率达到98%", "不高于20微克/立方米"],
        ),
        (
            "其中，实施省、市重点项目12个，完成投资40亿元。",
            ["省、市重点项目12个", "完成投资40亿元"],
        ),
        (
            "完成“清风”工程8个，培育“专精”“特新”中小企业30家。",
            ["“清风”工程8个", "中小企业30家"],
        ),
    ],
)
def test_front_keeps_only_a_short_verb_or_noun(text: str, phrases: list[str]) -> None:
    assert [t.phrase for t in find_targets(text)] == phrases


def test_target_subject_and_durations() -> None:
    first, second = find_targets("新建5个乡村振兴示范点，二氧化硫浓度不高于20微克/立方米。")
    assert (first.subject, first.value, first.unit) == ("乡村振兴示范点", 5.0, "个")
    assert (second.comparator, second.subject) == ("≤", "二氧化硫浓度")
    assert find_targets("整改工作3个月内完成。") == []


def test_merged_quantity_subject_is_the_counted_noun() -> None:
    (target,) = find_targets("引进超5亿元产业项目6个。")
    assert (target.phrase, target.subject, target.value, target.unit) == (
        "引进超5亿元产业项目6个",
        "产业项目",
        6.0,
        "个",
    )
