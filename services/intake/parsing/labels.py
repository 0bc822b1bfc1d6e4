"""Label lines (责任领导：…, 牵头单位：…) and the inline variant "（责任单位：…）".

Notices put each field on its own line after the item, sometimes several on one line,
with full- or half-width colons, and leave fields out. Every known label maps to one
canonical field; an unknown label that looks like a field is reported, not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LABELS: dict[str, str] = {
    "责任领导": "leaders",
    "分管领导": "leaders",
    "牵头领导": "leaders",
    "联系领导": "leaders",
    "包抓领导": "leaders",
    "分包领导": "leaders",
    "督导领导": "leaders",
    "责任县领导": "leaders",
    "责任区领导": "leaders",
    "县级责任领导": "leaders",
    "区级责任领导": "leaders",
    "牵头单位": "lead_units",
    "牵头部门": "lead_units",
    "主办单位": "lead_units",
    "主责单位": "lead_units",
    "牵头责任单位": "lead_units",
    "责任单位": "responsible_units",
    "责任部门": "responsible_units",
    "实施单位": "responsible_units",
    "落实单位": "responsible_units",
    "承办单位": "responsible_units",
    "主体责任单位": "responsible_units",
    "配合单位": "cooperating_units",
    "协办单位": "cooperating_units",
    "配合部门": "cooperating_units",
    "协同单位": "cooperating_units",
    "参与单位": "cooperating_units",
    "协助单位": "cooperating_units",
    "责任人": "contacts",
    "联系人": "contacts",
    "具体责任人": "contacts",
    "完成时限": "deadline",
    "完成时间": "deadline",
    "时间节点": "deadline",
    "时限要求": "deadline",
    "完成时间节点": "deadline",
    "办结时限": "deadline",
}

_KNOWN = "|".join(sorted(LABELS, key=len, reverse=True))
_COLON = r"\s*[:：]\s*"
LABEL_AT = re.compile(rf"(?P<label>{_KNOWN}){_COLON}")
LABEL_LINE = re.compile(rf"^\s*[（(\[【]?\s*(?:{_KNOWN}){_COLON}")
UNKNOWN_LABEL_LINE = re.compile(
    r"^\s*(?P<label>[\u4e00-\u9fff]{2,6}(?:单位|领导|部门|时限|时间|责任人))\s*[:：]"
)
INLINE_BLOCK = re.compile(
    rf"[（(](?P<body>(?:{_KNOWN}){_COLON}[^（()）]*(?:[（(][^（()）]*[）)][^（()）]*)*)[）)]"
    r"\s*[。.；;]?\s*$"
)
# Text copied from a web page puts the fields in square brackets: "[牵头单位:A;责任单位:B]".
INLINE_SQUARE = re.compile(
    rf"[\[【](?P<body>(?:{_KNOWN}){_COLON}[^\[\]【】]*)[\]】]\s*[。.；;]?\s*$"
)
# "（县发改委牵头，县财政局、县统计局配合）": the role is said after the units.
_ROLE_WORDS = {
    "牵头负责": "lead_units",
    "牵头": "lead_units",
    "负责": "responsible_units",
    "落实": "responsible_units",
    "配合": "cooperating_units",
    "协助": "cooperating_units",
    "协办": "cooperating_units",
    "参与": "cooperating_units",
    "协同": "cooperating_units",
}
_ROLE_CLAUSE = re.compile(r"^(?P<units>[^，,；;]+?)(?P<role>" + "|".join(_ROLE_WORDS) + r")$")
_PERSON = re.compile(r"[省市县区镇乡]长|书记|主任|主席|同志|常委")
_TRAILING_PAREN = re.compile(
    r"[（(](?P<body>[^（()）]*(?:[（(][^（()）]*[）)][^（()）]*)*)[）)]\s*[。.；;]?\s*$"
)


@dataclass
class LabelValue:
    """One label found on a line: its canonical field, the label as printed, the raw value."""

    field: str
    label: str
    value: str


def is_label_line(line: str) -> bool:
    """True when the line starts with a known label followed by a colon."""
    return bool(LABEL_LINE.match(line))


def unknown_label(line: str) -> str | None:
    """The label of a line that looks like a field line but whose label is not known."""
    match = UNKNOWN_LABEL_LINE.match(line)
    if match and match.group("label") not in LABELS:
        return match.group("label")
    return None


def split_labels(line: str) -> list[LabelValue]:
    """Split a line holding one or several "label：value" pairs into its parts.

    "责任领导：赵飞  牵头单位：区发改委" yields two values; separators such as "；" between
    pairs are trimmed from the values.
    """
    body = line.strip().lstrip("（([【").rstrip().rstrip("]】")
    if body.endswith(("）", ")")) and body.count("（") + body.count("(") < body.count(
        "）"
    ) + body.count(")"):
        body = body[:-1]
    matches = list(LABEL_AT.finditer(body))
    values = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(body)
        raw = body[match.end() : end].strip().rstrip("；;。.").strip()
        label = match.group("label")
        values.append(LabelValue(LABELS[label], label, raw))
    return values


def split_inline(text: str) -> tuple[str, list[LabelValue]]:
    """Cut a trailing "（牵头单位：…；责任单位：…）" or "[牵头单位:…]" block off a text."""
    match = INLINE_BLOCK.search(text) or INLINE_SQUARE.search(text)
    if match:
        return text[: match.start()].rstrip(), split_labels(match.group("body"))
    return split_roles(text)


def split_roles(text: str) -> tuple[str, list[LabelValue]]:
    """Cut a trailing "（A牵头，B、C配合）" off a text: every clause names units and a role.

    At least one clause must be 牵头 or 负责, so that an aside such as "（群众参与）" alone is
    not read as a unit list.
    """
    match = _TRAILING_PAREN.search(text)
    if not match:
        return text, []
    found: list[LabelValue] = []
    for clause in re.split(r"[，,；;]", match.group("body")):
        role = _ROLE_CLAUSE.match(clause.strip())
        if not role:
            return text, []
        if _PERSON.search(role.group("units")):
            return text, []  # "（副县长赵某牵头）" names a leader, not a unit
        field = _ROLE_WORDS[role.group("role")]
        found.append(LabelValue(field, role.group("role"), role.group("units")))
    if not any(value.field in ("lead_units", "responsible_units") for value in found):
        return text, []
    return text[: match.start()].rstrip(), found


_TRAILING_START = re.compile(rf"(?<=[。；;\s])\s*(?=(?:{_KNOWN}){_COLON})")


def split_trailing(text: str) -> tuple[str, list[LabelValue]]:
    """Cut unbracketed labels written after the item's last sentence on the same line.

    "…完成改造。牵头单位：县住建局；责任单位：各镇" gives the sentence and two labels; a
    label word in the middle of a sentence is left alone.
    """
    match = _TRAILING_START.search(text)
    if not match or match.start() == 0:
        return text, []
    return text[: match.start()].rstrip(), split_labels(text[match.end() :])
