"""Quantified targets ({phrase, subject, comparator, value, unit}) in a task's text.

Every number with a unit is a target unless it is an identifier (国道310, PM2.5, 5G), a
grade (4A, 4星级), a date, an ordinal or a duration; Chinese numerals count only as plain
counts ("三个项目"), never inside quoted slogans ("“三个一批”") or set names ("十大").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.intake.parsing.model import Comparator, Target
from services.intake.parsing.numerals import chinese_to_int
from services.intake.parsing.phrase import front, noun_part, percent_of, tail
from services.intake.parsing.text import ascii_digits

_UNIT_WORDS = (
    "微克/立方米 平方公里 平方米 立方米 万千瓦 千瓦时 兆瓦 千瓦 公里 千米 公顷 亩 米 美元 元 斤 吨 "
    "个百分点 个工作日 工作日 小时 分钟 人次 个 家 人 户 套 座 所 条 项 栋 间 张 台 辆 处 场 次 名 "
    "支 批 件 株 棵 只 头 床 天 倍 盏 口 块 份 册 届 艘 架 期 宗 片 篇 % ％ ‰"
)
UNITS = sorted(_UNIT_WORDS.split(), key=len, reverse=True)
_UNIT = "|".join(re.escape(unit) for unit in UNITS)
_NUM = r"\d+(?:\.\d+)?"
QUANTITY = re.compile(
    rf"(?<![A-Za-z\d.\-/第])(?P<num>{_NUM})(?:\s*[—–\-~～至到]\s*(?P<num2>{_NUM}))?"
    rf"(?P<approx>多|余)?(?P<mult>万|亿|千|百)?(?P<approx2>多|余)?(?P<unit>{_UNIT})"
    r"(?![A-Za-z])"
)
_CN_COUNT = re.compile(
    r"(?<![第“\"‘『「一二三四五六七八九十百千万两])"
    r"(?P<num>[两三四五六七八九十]{1,3})(?P<unit>个|座|家|所|处|项|栋)"
    r"(?!一批|大|方面|重点|重要|确保|维护|代表|务必|必须|意识|自信|[”\"’』」])"
)
_SUFFIX = re.compile(r"^(?:以上|以下|以内|左右|多|余)")
_FRONT_STOP = '，,、。；;：:（(）)“”"！？\n'
_GE = ("不少于", "不低于", "超过", "至少", "突破", "超", "以上")
_LE = ("不超过", "不高于", "控制在", "压减至", "压缩至", "低于", "以内", "以下")
_APPROX = ("左右", "近", "约", "多", "余")
_VERBS = re.compile(
    r"^(?:完成|实现|新增|力争|确保|争取|推动|实施|建成|打造|培育|引进|创建|新建|改建|改造|建设|"
    r"提升|达到|达|超过|不少于|不低于|控制在|压减至|稳定在|保持在|增长|提高到|提高|累计|全年|年内)+"
)
_NAMING_WORDS = "提升 改造 新建 建设 完成 打造 实施 建成 新增 改建 整治 开工 推进 培育 引进 创建"
_NAMING_VERBS = frozenset(_NAMING_WORDS.split())
_SEPARATORS = "，,、。；;：:及和与"


@dataclass(frozen=True)
class QuantityMatch:
    """A quantity found in a text: span, number(s), unit and whether it is approximate."""

    start: int
    end: int
    value: float
    value_max: float | None
    unit: str
    approx: bool
    qualified: bool = False  # a count followed by what qualifies it ("80个10亿元以上")


def _quoted_spans(text: str) -> list[tuple[int, int, str]]:
    return [
        (m.start(), m.end(), m.group(1)) for m in re.finditer(r"[“\"]([^“”\"]{0,20})[”\"]", text)
    ]


def _is_identifier(text: str, match: re.Match[str], quotes: list[tuple[int, int, str]]) -> bool:
    """True for numbers that name things rather than count them (“97193”, 洛平30条)."""
    start = match.start()
    for q_start, q_end, content in quotes:
        if q_start < start < q_end and not re.search(r"[\u4e00-\u9fff]", content):
            return True
    if match.group("unit") in ("条", "号") and start >= 2:
        token = text[start - 2 : start]
        before = text[start - 3 : start - 2] if start >= 3 else ""
        after = text[match.end() : match.end() + 1]
        named = re.fullmatch(r"[\u4e00-\u9fff]{2}", token) and token not in _NAMING_VERBS
        if named and (not before or before in _SEPARATORS) and (not after or after in _SEPARATORS):
            return True
    return False


def _is_duration(text: str, match: re.Match[str]) -> bool:
    """ "3个月" is how long something takes, not how many: durations are not targets."""
    return match.group("unit") == "个" and text[match.end() : match.end() + 1] == "月"


def find_quantities(text: str) -> list[QuantityMatch]:
    """Arabic and plain Chinese-numeral counts with their units, in order."""
    text = ascii_digits(text)
    quotes = _quoted_spans(text)
    found: list[QuantityMatch] = []
    for match in QUANTITY.finditer(text):
        if _is_identifier(text, match, quotes) or _is_duration(text, match):
            continue
        unit = (match.group("mult") or "") + match.group("unit")
        second = match.group("num2")
        approx = bool(match.group("approx") or match.group("approx2"))
        found.append(
            QuantityMatch(
                match.start(),
                match.end(),
                float(match.group("num")),
                float(second) if second else None,
                unit,
                approx,
            )
        )
    for match in _CN_COUNT.finditer(text):
        if any(q_start < match.start() < q_end for q_start, q_end, _ in quotes):
            continue
        value = chinese_to_int(match.group("num"))
        if value:
            found.append(
                QuantityMatch(
                    match.start(), match.end(), float(value), None, match.group("unit"), False
                )
            )
    return sorted(found, key=lambda item: item.start)


def _front(text: str, start: int, limit: int = 8) -> str:
    """The words right before a number, back to the nearest punctuation, at most ``limit``."""
    index = start
    while index > 0 and start - index < limit and text[index - 1] not in _FRONT_STOP:
        index -= 1
    return text[index:start]


_TRAILING_VERBS = re.compile(
    r"(?:增长|达到|达|控制在|提高到|提高|降低到|降低|压减至|稳定在|保持在|不少于|不低于|不超过|不高于|超过|超|"
    r"突破|新增|完成|实现|约|近)+$"
)


def _subject(front: str) -> str:
    """What is counted: the words before the number without leading or trailing verbs."""
    return _TRAILING_VERBS.sub("", _VERBS.sub("", front)).strip()


def _comparator(front: str, suffix: str, approx: bool) -> Comparator:
    if suffix in ("以上",) or front.endswith(_GE):
        return "≥"
    if suffix in ("以内", "以下") or any(word in front for word in _LE):
        return "≤"
    if suffix in ("左右", "多", "余") or approx or front.endswith(_APPROX):
        return "≈"
    return "="


def quantity_key(phrase: str) -> str | None:
    """A comparable key for a target phrase: its first number and unit ("255亿元").

    Used by the scorer, because where a phrase starts is a matter of taste while the
    quantity it states is not.
    """
    found = find_quantities(phrase)
    if not found:
        return None
    first = found[0]
    value = f"{first.value:g}" + (f"-{first.value_max:g}" if first.value_max is not None else "")
    return value + first.unit


_COUNT_UNITS = ("个", "家", "座", "所", "项", "条", "户", "人", "套", "处", "栋")


def merge_compound(text: str, quantities: list[QuantityMatch]) -> list[QuantityMatch]:
    """Merge two quantities joined without punctuation into one ("超10亿元项目8个").

    The first qualifies what the second counts (or the reverse, "80个10亿元以上重大项目"),
    so they form a single target whose value is the count.
    """
    merged: list[QuantityMatch] = []
    for quantity in quantities:
        previous = merged[-1] if merged else None
        gap = text[previous.end : quantity.start] if previous else ""
        if previous and len(gap) <= 6 and not re.search(r"[，,、。；;：:（(）)和及与]", gap):
            first = previous.unit in _COUNT_UNITS
            count = previous if first else quantity
            merged[-1] = QuantityMatch(
                previous.start,
                quantity.end,
                count.value,
                count.value_max,
                count.unit,
                count.approx,
                first,
            )
        else:
            merged.append(quantity)
    return merged


def _suffix(text: str, front_words: str, end: int) -> str:
    """以上/左右/以内… right after the unit; 以内 also closes a 控制在 further back."""
    match = _SUFFIX.match(text[end : end + 2])  # its longest match; text[end:] copies the rest
    if re.search(r"控制在[^，。]*$", front_words) and text.startswith("以内", end):
        return "以内"
    return match.group() if match else ""


def _inner_noun(span: str) -> str:
    """ "10亿元项目8个" → "项目": in a merged quantity, what the final count counts."""
    match = re.search(r"[\u4e00-\u9fff]+(?=\d[\d.]*\D*$)", span)
    words = match.group().lstrip("万亿千百") if match else ""
    unit = next((u for u in UNITS if words.startswith(u)), "")
    return _subject(_SUFFIX.sub("", words[len(unit) :])) if unit else ""


def find_targets(text: str) -> list[Target]:
    """Targets in ``text``; each phrase is a verbatim substring of it.

    Phrases are built left to right so that a counted noun taken by one target ("5个村")
    is never also the front of the next one.
    """
    targets: list[Target] = []
    quantities = merge_compound(text, find_quantities(text))
    barrier = 0
    for index, quantity in enumerate(quantities):
        limit = quantities[index + 1].start if index + 1 < len(quantities) else len(text)
        suffix = _suffix(text, _front(text, quantity.start), quantity.end)
        end = quantity.end + len(suffix)
        counted = ""
        if not suffix or quantity.qualified:
            counted = tail(text, end, limit, quantity.unit)
        if not counted and quantity.unit in ("%", "％"):
            counted = percent_of(text, end)
        words = front(text, quantity.start, barrier, bool(counted))
        barrier = end + len(counted)
        inner = _inner_noun(text[quantity.start : quantity.end])
        noun = counted or noun_part(words) or inner or _subject(_front(text, quantity.start, 24))
        targets.append(
            Target(
                phrase=words + text[quantity.start : end] + counted,
                subject=noun.strip("的"),
                comparator=_comparator(words, suffix, quantity.approx),
                value=quantity.value,
                value_max=quantity.value_max,
                unit=quantity.unit,
            )
        )
    return targets
