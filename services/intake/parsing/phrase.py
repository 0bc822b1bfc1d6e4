"""Where a target phrase starts and ends around a quantity (truth README, **targets**).

A phrase is the number with its unit, its attached comparator and either

* the counted noun phrase that follows a count ("12个示范村", "3公里滨河步道"), with
  nothing in front of the number but an approximation word ("近"), or
* when nothing is counted after it, at most a short verb or noun in front ("新建泊位300个",
  "覆盖率达到90%").

The rules only use Chinese phrase structure: punctuation, coordinating conjunctions, 的,
clause-level verbs and adverbs, and a length limit. They never look at particular names.
"""

from __future__ import annotations

import re

_PUNCT = "，,、。；;：:（()）！？!?【】《》\n\t 　"
_FRONT_STOP = _PUNCT + "等的和及与"
_ADMIN_LEVEL = "省市县区乡镇村"
# Units whose number can be followed by what it counts (not money, shares or rates).
_COUNTING = (
    "个 家 条 项 套 栋 座 所 处 户 亩 公里 千米 小时 间 张 台 辆 场 "
    "支 批 株 棵 只 头 床 盏 口 块 份 册 艘 架 宗 片 篇 人 名"
)
_TAIL_UNITS = frozenset(_COUNTING.split())
# Clause-level verbs, adverbs and time words: what is said about the counted things.
_CLAUSE_WORDS = (
    "的 进入 纳入 登陆 完成 实现 达到 确保 全部 全面 "
    "年底 年内 月底 上半年 下半年 建成投用 投产 投用 落地 等"
)
_TAIL_STOPS = tuple(_CLAUSE_WORDS.split())
_TAIL_MAX = 12
_NUMBER_SOON = re.compile(r"[\d一二三四五六七八九十两]")
_HEAD = re.compile(r"项目|企业|工程|基地|平台|中心|[区村园站点房路场所校院馆室镇厂田带]")
_ADJECTIVE_END = tuple("型性式级类")
_APPROX_BEFORE = "近约超"
# Time words, hedges and places: they frame a goal but are not part of it.
_HEDGE = re.compile(
    r"全年|年内|年度|今年|力争|确保|争取|其中|实际|所有|着力|持续|继续|进一步|积极|大力|突出|"
    r"推进|推动|加快|年底前|月底前|底前|上半年|下半年|全市|全区|全县|到位|区域|城区|山区|行政村"
)
_LEADING = re.compile(r"^(?:将|拟)+")
_ACTION = re.compile(
    r"^(?:完成|实现|新增|新建|改扩建|改建|扩建|建成|建设|打造|培育|引进|创建|争创|实施|推荐|签约|"
    r"发放|开展|办理|审定|新申报|申报|腾出|发展|增加|利用|安排|列入|提升|改造|谋划|供给|投放|"
    r"构建|做好|抓好|办好|赋予|给予|认定|招引|举办|落实)+"
)
_WEAK_VERBS = ("完成", "实现")
_COMPARING = re.compile(
    r"(?:达到|达|超过|超|保持在|稳定在|控制在|压减至|压缩至|提高到|提高|降低到|降低|增长|"
    r"不少于|不低于|不超过|不高于)$"
)
_NEGATED = re.compile(r"(?:不少于|不低于|不超过|不高于)$")
_ENTITY = re.compile(r"事项|单位|中心|企业|项目|部门|机构|源地|基地")
_MEASURE_END = ("率", "额", "量", "时间", "占比", "收入", "件", "值")
_SHORT_NOUN = 4


def tail(text: str, end: int, limit: int, unit: str) -> str:
    """The noun phrase a count is counting ("…5个|乡村示范点|，"), or "".

    Stops at punctuation, at a conjunction that introduces another quantity, at 的, at the
    next quantity (``limit``) and at clause-level verbs and adverbs, which begin what is
    said about the counted things rather than name them.
    """
    if unit.lstrip("万亿千百") not in _TAIL_UNITS:
        return ""
    index = end
    while index < min(limit, len(text)) and text[index] not in _PUNCT:
        if any(text.startswith(word, index) for word in _TAIL_STOPS):
            break
        if text[index] == "“" and _HEAD.search(text[index - 1 : index]):
            break
        if text[index] in "和及与或" and _NUMBER_SOON.search(text, index, index + 6):
            break
        index += 1
    found = text[end:index]
    if len(found) > _TAIL_MAX:
        head = _HEAD.search(found)
        found = found[: head.end()] if head else ""
    return "" if found.endswith(_ADJECTIVE_END) else found


def percent_of(text: str, end: int) -> str:
    """ "的" and a two-character noun after a percentage ("30%的补助"): what it is a share of."""
    match = re.match(r"的[\u4e00-\u9fff]{2}", text[end : end + 3])
    return match.group() if match else ""


def _raw_front(text: str, start: int, barrier: int, limit: int = 16) -> str:
    """Words before the number back to punctuation, 等/的/和, the previous target or ``limit``.

    A 、 between two single administrative levels ("省、市") joins them and does not stop.
    """
    index = start
    while index > barrier and start - index < limit:
        char = text[index - 1]
        if char == "、" and _admin_pair(text, index - 1):
            index -= 1
            continue
        if char in _FRONT_STOP:
            break
        index -= 1
    return text[index:start]


def _admin_pair(text: str, at: int) -> bool:
    return 0 < at < len(text) - 1 and text[at - 1] in _ADMIN_LEVEL and text[at + 1] in _ADMIN_LEVEL


def _after_hedges(front: str) -> str:
    """Drop everything up to the last time word or hedge ("全年力争…"): not part of the goal."""
    last = 0
    for match in _HEDGE.finditer(front):
        last = match.end()
    return _LEADING.sub("", front[last:])


def _after_entity(front: str) -> str:
    """ "…中心入住率达到" → "入住率达到": a rate or amount is named without its owner."""
    for match in reversed(list(_ENTITY.finditer(front))):
        rest = front[match.end() :]
        measure = _COMPARING.sub("", rest)
        if len(measure) >= 2 and measure.endswith(_MEASURE_END):
            return rest
    return front


def front(text: str, start: int, barrier: int, counted: bool) -> str:
    """The short verb or noun in front of a number that belongs to its phrase.

    With a counted noun after the number only an approximation word stays ("近"). Otherwise
    hedges and owners are dropped, and a leading action verb is kept only when the noun it
    governs is short ("新建泊位", but "规上工业企业" without "培育").
    """
    if counted:
        return _approx_before(text, start, barrier)
    words = _from_quote(_after_entity(_after_hedges(_raw_front(text, start, barrier))))
    negated = _NEGATED.search(words)
    if negated:
        return negated.group()
    verb = _ACTION.match(words)
    short = 2 if words.startswith(_WEAK_VERBS) else _SHORT_NOUN
    if verb and len(noun_part(words)) > short:
        return words[verb.end() :]
    return words


def _approx_before(text: str, start: int, barrier: int) -> str:
    """ "近" (or 约/超 standing alone) right before a number: part of the quantity."""
    if start - 1 < max(barrier, 0) or text[start - 1] not in _APPROX_BEFORE:
        return ""
    alone = start - 2 < barrier or text[start - 2] in _PUNCT
    return text[start - 1] if alone or text[start - 1] == "近" else ""


def _from_quote(words: str) -> str:
    """A quoted name starts the phrase ("“清河”工程"); a run of quoted titles is dropped."""
    if "”“" in words:
        return words[words.rindex("”") + 1 :]
    return words[words.index("“") :] if "“" in words else words


def noun_part(front_words: str) -> str:
    """The noun in a front: without its leading action verb and trailing comparator."""
    return _COMPARING.sub("", _ACTION.sub("", front_words))
