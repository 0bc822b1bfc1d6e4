"""From outline nodes to tasks: which nodes are tasks, and what each task holds.

A node is a task when label lines follow it. Items of the same numbering style placed
among labelled ones are tasks too, even when a clerk forgot their labels (they get a
warning); sections after the last labelled item ("工作要求") are not tasks.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter

from services.intake.parsing.dates import bare_month, find_deadlines
from services.intake.parsing.labels import LabelValue, split_inline, split_trailing
from services.intake.parsing.leaders import heading_leaders
from services.intake.parsing.model import Deadline, ParsedTask, ParseWarning, UnitRef
from services.intake.parsing.structure import Node
from services.intake.parsing.targets import find_targets
from services.intake.parsing.units import (
    expand_prefixes,
    is_group,
    lead_marked,
    split_people,
    split_units,
)

_ROLE_OF = {
    "lead_units": "lead",
    "responsible_units": "responsible",
    "cooperating_units": "cooperating",
}


_LEADER_FIELDS = ("leaders", "contacts")


def attach_heading_leaders(nodes: list[Node]) -> None:
    """Leaders a heading names ("一、副县长王某负责的工作", "…（分管领导：王某）", or a
    责任领导 line right under it) belong to the tasks below it, not to a task of its own."""
    for node in nodes:
        if not node.children:
            continue
        named = heading_leaders(node.numbered.rest)
        if named:
            node.heading_leaders = named
            continue
        labels = node.labels
        if not labels:
            rest, labels = split_inline(node.numbered.rest)
        if labels and all(label.field in _LEADER_FIELDS for label in labels):
            if not node.labels:
                node.numbered.rest = rest
            node.heading_leaders = [
                name
                for label in labels
                if label.field == "leaders"
                for name in split_people(label.value)
            ]
            node.labels = []


def attach_inline_labels(nodes: list[Node]) -> None:
    """Move a trailing "（牵头单位：…）" block of a node's text into its labels.

    The last task of a notice is followed by the signature and date, which land in its
    content: the block is looked for in its last few lines and what follows it dropped.
    """
    for node in nodes:
        if node.labels or node.heading_leaders:
            continue
        texts = [node.numbered.rest, *node.content]
        for index in range(len(texts) - 1, max(len(texts) - 4, -1), -1):
            rest, found = split_inline(texts[index])
            if not found:
                rest, found = split_trailing(texts[index])
            if found:
                node.labels.extend(found)
                node.numbered.rest = rest if index == 0 else node.numbered.rest
                node.content = node.content[:index]
                if index:
                    node.content[index - 1] = rest
                break


def select_task_nodes(nodes: list[Node]) -> list[Node]:
    """Labelled nodes, plus unlabelled leaves of the dominant style between them."""
    labelled = [node for node in nodes if node.labels]
    if not labelled:
        return []
    dominant = Counter(node.numbered.style for node in labelled).most_common(1)[0][0]
    # By identity: a node's == compares its whole subtree (and recurses through parents).
    last = max(index for index, node in enumerate(nodes) if node.labels)
    return [
        node
        for index, node in enumerate(nodes)
        if node.labels or (index < last and node.numbered.style == dominant and not node.children)
    ]


def _number_and_text(node: Node) -> tuple[str, list[str], str]:
    """Number, path and text; a labelled section heading ("一、总体目标") is its own number."""
    rest = node.numbered.rest
    is_section_title = node.depth == 0 and node.content and "。" not in rest and len(rest) <= 20
    if is_section_title:
        return rest, [*node.path, node.numbered.line], "".join(node.content)
    number = node.numbered.label.rstrip("、.．")
    return number, node.path, rest + "".join(node.content)


def _fill_labels(
    task: ParsedTask, labels: list[LabelValue], year: int | None, warnings: list[ParseWarning]
) -> None:
    for label in labels:
        if label.field == "leaders":
            task.leaders.extend(split_people(label.value))
        elif label.field == "contacts":
            task.contacts.extend(split_people(label.value))
        elif label.field == "deadline":
            task.deadlines.extend(_label_deadlines(task.number, label.value, year, warnings))
        else:
            names, marked = lead_marked(split_units(label.value))
            getattr(task, label.field).extend(names)
            if label.field != "lead_units":
                task.lead_units.extend(marked)


def _label_deadlines(
    number: str, value: str, year: int | None, warnings: list[ParseWarning]
) -> list[Deadline]:
    found = [m for m in find_deadlines(value, year) if m.date]
    month = None if found else bare_month(value, year)
    if month and month.date:
        found = [month]
    if found:
        return [Deadline(phrase=m.phrase, date=m.date.isoformat(), about="完成时限") for m in found]
    if _ONGOING.search(value):
        return [Deadline(phrase=value, date=None, about="长期任务")]  # no date to guess
    warnings.append(
        ParseWarning(
            code="UNDATED_DEADLINE",
            task=number,
            message=f"完成时限“{value}”无法换算成日期，请人工确认。",
        )
    )
    return [Deadline(phrase=value, date=None, about="完成时限")]


_ONGOING = re.compile(r"长期|持续|常态|长效|每月|每季|按月|按季|逐年")


def text_deadlines(text: str, year: int | None) -> list[Deadline]:
    """Deadlines in a task text, each with the clause it governs as ``about``."""
    out: list[Deadline] = []
    stops = [stop.start() for stop in _CLAUSE_STOP.finditer(text)]  # found once, not per phrase
    for match in find_deadlines(text, year):
        out.append(
            Deadline(
                phrase=match.phrase,
                date=match.date.isoformat() if match.date else None,
                about=_clause(text, stops, match.start, match.end),
            )
        )
    return out


_CLAUSE_STOP = re.compile("[，。；;,]")
# How far a clause reaches either side of its deadline: text without stops would otherwise
# give each of its n deadlines the whole text, n² characters held at once.
CLAUSE_REACH = 200


def _clause(text: str, stops: list[int], start: int, end: int) -> str:
    """The clause around text[start:end]: from the stop before it to the stop after it."""
    before = bisect_left(stops, start)
    left = max(stops[before - 1] + 1 if before else 0, start - CLAUSE_REACH)
    after = bisect_left(stops, end)
    right = min(stops[after] if after < len(stops) else len(text), end + CLAUSE_REACH)
    return (text[left:start] + text[end:right]).strip("，。 ")


def normalised_units(task: ParsedTask, places: tuple[str, ...] = ()) -> list[UnitRef]:
    """Units with the shared prefix made explicit, in role order, groups marked.

    ``places`` are the document's own place names (from its issuer): a unit named after one
    already says where it is and keeps its name.
    """
    refs: list[UnitRef] = []
    for field, role in _ROLE_OF.items():
        names = getattr(task, field)
        for verbatim, name in zip(names, expand_prefixes(names, places), strict=True):
            refs.append(
                UnitRef(
                    name=name,
                    verbatim=verbatim,
                    role=role,  # type: ignore[arg-type]
                    is_group=is_group(name),
                )
            )
    return refs


def build_task(node: Node, year: int | None, warnings: list[ParseWarning]) -> ParsedTask:
    """One task from one node: fields from labels, deadlines and targets from its text."""
    number, path, text = _number_and_text(node)
    task = assemble_task(number, path, text, node.labels, node.unknown_labels, year, warnings)
    if not task.leaders:
        task.leaders = list(node.inherited_leaders)
    return task


def assemble_task(
    number: str,
    path: list[str],
    text: str,
    labels: list[LabelValue],
    unknown: list[str],
    year: int | None,
    warnings: list[ParseWarning],
) -> ParsedTask:
    """A task from its parts, whatever the layout (label lines, inline labels or a table)."""
    task = ParsedTask(number=number, path=path, text=text)
    _fill_labels(task, labels, year, warnings)
    task.deadlines = text_deadlines(text, year) + task.deadlines
    task.targets = find_targets(text)
    task.units = normalised_units(task)
    task_warnings(task, unknown, warnings)
    return task


def task_warnings(task: ParsedTask, unknown: list[str], warnings: list[ParseWarning]) -> None:
    """A task's own warnings: no unit, an unknown label, a deadline without a date."""
    if not task.lead_units and not task.responsible_units:
        warnings.append(
            ParseWarning(
                code="NO_LEAD_UNIT",
                task=task.number,
                message=f"第{task.number}项任务没有牵头单位或责任单位，请补充。",
            )
        )
    for label in unknown:
        if label:
            warnings.append(
                ParseWarning(
                    code="UNKNOWN_LABEL",
                    task=task.number,
                    message=f"第{task.number}项任务中的“{label}”不是已知的栏目，请确认。",
                )
            )
    for deadline in task.deadlines:
        if deadline.date is None and deadline.about not in ("完成时限", "长期任务"):
            warnings.append(
                ParseWarning(
                    code="UNDATED_DEADLINE",
                    task=task.number,
                    message=f"时间节点“{deadline.phrase}”无法换算成日期（缺少年份）。",
                )
            )
