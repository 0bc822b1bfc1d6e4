"""Splitting leader and unit lists, and normalising unit names.

The verbatim lists keep each name as printed (the truth convention). Normalisation is a
separate step: a clerk reads "区发改委、工信局、投促中心" as three district bureaus, so the
shared prefix is made explicit there; groups such as 各镇（街道） are marked as groups.
"""

from __future__ import annotations

import re

from services.intake.parsing.text import strip_spaces

_LIST_SEPARATORS = "、，,；;"
_OPEN, _CLOSE = "（(【[", "）)】]"
ADMIN_PREFIXES = ("区委", "县委", "市委", "区", "县", "市")
# Words whose first character is not a prefix: 市场监管局 in a county list is 县市场监管局. A
# county's 县城市管理局 is not among them: its 县 is the prefix and must not be doubled.
_NOT_PREFIX = ("市场", "市政", "市民")
# "XX区…", "XX县…": a name that opens with a place of its own already says where it is.
_OWN_PLACE = re.compile(r"^[\u4e00-\u9fff]{2,3}?(?:省|市|县|区|旗|州)(?![域块级直])")
_GROUP = re.compile(
    r"^(?:各|相关|有关|其他|其它|涉及|带村|所属|全体)|各(?:部门|单位|乡|镇|街道)|成员单位$|直各"
)
_TOWN_OR_FIRM = re.compile(
    r"(?:镇|乡|街道|办事处|公司|银行|集团|医院|学校|大学|村|社区|村委会)(?:[（(][^）)]*[）)])?$"
)
_DEPARTMENT_END = re.compile(r"(?:局|委|办|中心|部|队|所|站|院|开发区)$")


# A convention stated once for the whole document: the first unit of every list leads.
_FIRST_LEADS = (
    r"(?:排(?:在|名|序)?(?:第一|首)位?|列(?:第一|首)位?|第一个|首个|首家|首位|第一)"
    r"(?:的|列出的)?(?:单位|部门)?(?:为|是|系)?牵头(?:单位|部门)?"
    r"|牵头(?:单位|部门)?(?:为|是)(?:排(?:在|名)?)?(?:第一|首)(?:位|个)?(?:的)?(?:单位|部门)?"
)
FIRST_LEADS = re.compile(_FIRST_LEADS)
_FIRST_LEADS_NOTE = re.compile(rf"[（(][^（()）]{{0,12}}?(?:{_FIRST_LEADS})[^（()）]{{0,16}}[）)]")
_LEAD_MARK = re.compile(r"[（(](?:牵头|牵头单位|主责)[）)]$")


def first_unit_leads(text: str) -> bool:
    """True when the document says once that the first unit listed is the lead unit."""
    return bool(FIRST_LEADS.search(text))


def drop_convention_note(value: str) -> str:
    """ "A、B（排在第一的单位为牵头单位，下同）" → "A、B": the note names no unit."""
    return _FIRST_LEADS_NOTE.sub("", value)


def lead_marked(names: list[str]) -> tuple[list[str], list[str]]:
    """ "县发改委（牵头）、县财政局" → names without the mark, and the marked ones."""
    plain = [_LEAD_MARK.sub("", name) for name in names]
    return plain, [p for p, name in zip(plain, names, strict=True) if p != name]


def split_list(value: str) -> list[str]:
    """Split on 、，,；; outside parentheses; "区政数局（行政服务中心）" stays whole."""
    parts: list[str] = []
    depth, current = 0, []
    for ch in value:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        if ch in _LIST_SEPARATORS and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def split_people(value: str) -> list[str]:
    """Split a 责任领导 value into names; a single space inside a name is removed.

    Names are separated by list punctuation or by runs of two or more spaces ("朱 蕾  苏敬彪"
    is two people, 朱蕾 and 苏敬彪).
    """
    names: list[str] = []
    for part in split_list(value):
        for name in re.split(r"[ \t\u3000]{2,}|\u3000", part.strip()):
            name = strip_spaces(name)
            if name:
                names.append(name)
    return names


def split_units(value: str) -> list[str]:
    """Split a unit list into verbatim names with all whitespace removed.

    "和"/"及" split only where both sides are whole unit names ("县发改委和县财政局"),
    never inside a name such as 自然资源和规划局.
    """
    units: list[str] = []
    for part in split_list(drop_convention_note(value)):
        name = strip_spaces(part)
        if name:
            units.extend(_split_conjunction(name))
    return units


def _split_conjunction(name: str) -> list[str]:
    match = re.search(r"(?<=[局委办部队])(?:和|及|与)(?=(?:区|县|市)\S+?(?:局|委|办|中心)$)", name)
    if not match:
        return [name]
    return [name[: match.start()], name[match.end() :]]


def is_group(name: str) -> bool:
    """True for a group of units (各街道办事处, 相关镇（街道）, 区安委会成员单位)."""
    return bool(_GROUP.search(name))


def admin_prefix(name: str) -> str | None:
    """The administrative prefix ("区", "县委", …) of a unit name, if it has one."""
    if name.startswith(_NOT_PREFIX):
        return None
    for prefix in ADMIN_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix) + 1:
            return prefix
    return None


def names_a_place(name: str, places: tuple[str, ...] = ()) -> bool:
    """True when a name starts with a place: one of the document's own (卫东 of 卫东区, from
    the issuer) or any "XX县"/"XX区" opening. Such a name never takes the shared prefix."""
    return (bool(places) and name.startswith(places)) or bool(_OWN_PLACE.match(name))


_PLACE = re.compile(r"([\u4e00-\u9fff]{2,4}?)(?:省|市|县|区|旗|州)")


def issuer_places(issuer: str | None) -> tuple[str, ...]:
    """Place names in the issuing organ ("平顶山市卫东区人民政府" → 平顶山, 卫东)."""
    return tuple(match.group(1) for match in _PLACE.finditer(issuer or ""))


def needs_prefix(name: str, places: tuple[str, ...] = ()) -> bool:
    """True for a bare department name written after a prefixed one ("工信局")."""
    if is_group(name) or admin_prefix(name) or _TOWN_OR_FIRM.search(name):
        return False
    if names_a_place(name, places):
        return False
    return bool(_DEPARTMENT_END.search(re.sub(r"[（(].*?[）)]$", "", name)))


def expand_prefixes(names: list[str], places: tuple[str, ...] = ()) -> list[str]:
    """Make a shared prefix explicit: [区发改委, 工信局] → [区发改委, 区工信局].

    The prefix of the nearest preceding prefixed name is used, so "区委编办、改革办" gives
    区委改革办. Only department-like names are expanded; towns, firms and groups are not.
    """
    expanded: list[str] = []
    prefix: str | None = None
    for name in names:
        own = admin_prefix(name)
        if own and not _TOWN_OR_FIRM.search(name):
            prefix = own
        if prefix and needs_prefix(name, places):
            expanded.append(_fit_prefix(prefix, name) + name)
        else:
            expanded.append(name)
    return expanded


def _fit_prefix(prefix: str, name: str) -> str:
    """A party prefix (区委) does not carry over to a government bureau (市场监管局)."""
    if prefix.endswith("委") and name.endswith("局"):
        return prefix[:-1]
    return prefix
