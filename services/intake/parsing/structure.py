"""Numbering (一、 / （一） / 1. / 1、 / （1） / ①) → a tree of items with heading paths.

Depth is not fixed by the style: the first style met is the outermost, the next new style
one level deeper, and so on, because notices differ (000 uses 一、→（一）, 002 uses
一、→（一）→1.). A numbered line counts only when its number continues a sequence, so a
sentence that happens to start with "3." inside a paragraph does not open an item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.intake.parsing.labels import (
    LabelValue,
    is_label_line,
    split_labels,
    unknown_label,
)
from services.intake.parsing.numerals import chinese_to_int
from services.intake.parsing.text import ascii_digits

_CN = "一二三四五六七八九十百零〇"
STYLES: list[tuple[str, re.Pattern[str]]] = [
    ("cn_dun", re.compile(rf"^(?P<n>[{_CN}]+)\s*[、.．]\s*(?P<rest>.*)$")),
    ("cn_paren", re.compile(rf"^[（(]\s*(?P<n>[{_CN}]+)\s*[）)]\s*[、.．]?\s*(?P<rest>.*)$")),
    ("ar_dot", re.compile(r"^(?P<n>\d{1,3})\s*[.．](?!\d)\s*(?P<rest>.*)$")),
    ("ar_dun", re.compile(r"^(?P<n>\d{1,3})\s*、\s*(?P<rest>.*)$")),
    ("ar_paren", re.compile(r"^[（(]\s*(?P<n>\d{1,3})\s*[）)]\s*(?P<rest>.*)$")),
    ("circled", re.compile(r"^(?P<n>[①-⑳])\s*(?P<rest>.*)$")),
]
_PAREN_STYLES = ("cn_paren", "ar_paren")


@dataclass
class Numbered:
    """A numbered line: its style, integer number, label as printed and the text after it."""

    style: str
    value: int
    label: str
    rest: str
    line: str


@dataclass
class Node:
    """An item or heading with its content lines and the label fields that follow it."""

    numbered: Numbered
    depth: int
    parent: Node | None
    content: list[str] = field(default_factory=list)
    labels: list[LabelValue] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    unknown_labels: list[str] = field(default_factory=list)
    heading_leaders: list[str] = field(default_factory=list)

    @property
    def inherited_leaders(self) -> list[str]:
        """Leaders named by the nearest heading above this node that names any."""
        node = self.parent
        while node is not None:
            if node.heading_leaders:
                return node.heading_leaders
            node = node.parent
        return []

    @property
    def path(self) -> list[str]:
        """Heading lines above this node, outermost first."""
        out: list[str] = []
        node = self.parent
        while node is not None:
            out.insert(0, node.numbered.line)
            node = node.parent
        return out


@dataclass
class Outline:
    """The parsed outline: preamble lines, top-level nodes, lines after the last label."""

    preamble: list[str]
    roots: list[Node]
    nodes: list[Node]
    trailer: list[str]


def match_numbered(line: str) -> Numbered | None:
    """Recognise a numbered line in any supported style."""
    for style, pattern in STYLES:
        match = pattern.match(line)
        if not match:
            continue
        raw = match.group("n")
        value = ord(raw) - ord("①") + 1 if style == "circled" else chinese_to_int(raw)
        if value is None or value <= 0:
            return None
        label = line[: line.find(raw) + len(raw)]
        if style in _PAREN_STYLES:
            label = line[: match.start("rest")].rstrip("、.． ")
        return Numbered(style, value, label.strip(), match.group("rest").strip(), line)
    return None


class _Builder:
    """Walks the lines once, keeping the open node at each depth."""

    def __init__(self) -> None:
        self.depth_of: dict[str, int] = {}
        self.last_value: dict[str, int] = {}
        self.stack: list[Node] = []
        self.nodes: list[Node] = []
        self.roots: list[Node] = []
        self.preamble: list[str] = []
        self.trailer: list[str] = []
        self.label_open = False
        # The last value of each style among each parent's children (0: the roots), kept as
        # nodes open: looking it up must not walk the siblings, or a notice of n headings
        # would take n² steps.
        self.sibling_value: dict[tuple[int, str], int] = {}

    def accepts(self, numbered: Numbered) -> bool:
        """A number opens an item only if it starts or continues a sequence of its style."""
        last = self.last_value.get(numbered.style)
        if numbered.style not in self.depth_of:
            return numbered.value == 1
        under_parent = self._last_sibling_value(numbered.style)
        return numbered.value in (1, (last or 0) + 1, (under_parent or 0) + 1)

    def _last_sibling_value(self, style: str) -> int | None:
        depth = self.depth_of[style]
        parent = self.stack[depth - 1] if 0 < depth <= len(self.stack) else None
        return self.sibling_value.get((id(parent) if parent else 0, style))

    def open(self, numbered: Numbered) -> None:
        depth = self.depth_of.setdefault(numbered.style, len(self.depth_of))
        del self.stack[depth:]
        parent = self.stack[-1] if self.stack else None
        node = Node(numbered, len(self.stack), parent)
        (parent.children if parent else self.roots).append(node)
        self.stack.append(node)
        self.nodes.append(node)
        self.last_value[numbered.style] = numbered.value
        self.sibling_value[(id(parent) if parent else 0, numbered.style)] = numbered.value
        self.label_open = False

    def add_line(self, line: str) -> None:
        current = self.stack[-1] if self.stack else None
        if is_label_line(line) and current is not None:
            current.labels.extend(split_labels(line))
            self.label_open = True
        elif current is None:
            self.preamble.append(line)
        elif unknown_label(line):
            current.unknown_labels.append(unknown_label(line) or "")
            self.label_open = False
        elif self.label_open and current.labels and _continues(current.labels[-1].value):
            current.labels[-1].value += line.strip()
        elif current.labels:
            self.trailer.append(line)
        else:
            current.content.append(line)


def _continues(value: str) -> bool:
    """A label value that is empty or ends with a list separator goes on on the next line."""
    return not value or value.endswith(("、", "，", ",", "；"))


def build_outline(lines: list[str]) -> Outline:
    """Build the outline of a document from its non-empty, normalised lines."""
    builder = _Builder()
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        numbered = match_numbered(ascii_digits(line))
        if numbered:
            numbered.rest = line[len(line) - len(numbered.rest) :] if numbered.rest else ""
            numbered.line = line
        if numbered and not is_label_line(line) and builder.accepts(numbered):
            builder.trailer.clear()
            builder.open(numbered)
        else:
            builder.add_line(line)
    return Outline(builder.preamble, builder.roots, builder.nodes, builder.trailer)
