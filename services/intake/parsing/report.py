"""Narrative reports (政府工作报告, 计划报告): targets and dated promises, no units.

A report is not a notice, but a drafter starts the notice from it: its 主要预期目标 become
document-level targets and each sentence promising something by a date becomes a candidate
task, so the clerk only has to add leaders and units.
"""

from __future__ import annotations

import re

from services.intake.parsing.dates import find_deadlines
from services.intake.parsing.header import find_title
from services.intake.parsing.model import ParsedNotice, ParsedTask, ParseWarning, Target
from services.intake.parsing.structure import match_numbered
from services.intake.parsing.targets import find_targets
from services.intake.parsing.tasks import text_deadlines

_MEETING_DATE = re.compile(r"——\s*(?P<y>(?:19|20)\d{2})年\d{1,2}月\d{1,2}日")
_TARGETS_INTRO = re.compile(r"主要(?:预期)?目标(?:是|为)?[：:]")
_MARKERS = ("各位代表", "政府工作报告", "的报告", "主要预期目标")
_VAGUE_ONLY = {"全年", "年度"}


def looks_like_report(lines: list[str]) -> bool:
    """True when the text reads like a report to a people's congress."""
    head = "".join(lines[:30])
    body = "\n".join(lines)
    return sum(marker in head or marker in body for marker in _MARKERS) >= 2


def report_year(lines: list[str]) -> int | None:
    """The plan year: the date of the congress session, else the first year in the head."""
    head = "\n".join(lines[:15])
    match = _MEETING_DATE.search(head) or re.search(r"(?:19|20)\d{2}", head)
    return int(match.group(1) if match.re is _MEETING_DATE else match.group()) if match else None


def _plan_start(lines: list[str]) -> int:
    """Index of the last 主要预期目标 line: the plan for the coming year follows it."""
    hits = [i for i, line in enumerate(lines) if _TARGETS_INTRO.search(line)]
    return hits[-1] if hits else len(lines) // 2


def main_targets(line: str) -> list[Target]:
    """Each clause of the 主要预期目标 sentence that states a quantity, as one target."""
    intro = _TARGETS_INTRO.search(line)
    body = line[intro.end() :] if intro else line
    targets: list[Target] = []
    for clause in re.split(r"[，；;。]", body):
        clause = clause.strip()
        found = find_targets(clause)
        if found:
            first = found[0]
            targets.append(first.model_copy(update={"phrase": clause}))
    return targets


def candidate_tasks(lines: list[str], start: int, year: int | None) -> list[ParsedTask]:
    """Sentences after the targets that promise something by a date, as unnumbered tasks."""
    tasks: list[ParsedTask] = []
    heading: list[str] = []
    for line in lines[start:]:
        if match_numbered(line) and len(line) <= 40:
            heading = [line]
            continue
        for sentence in re.split(r"(?<=[。；])", line):
            dated = [
                m for m in find_deadlines(sentence, year) if m.date and m.phrase not in _VAGUE_ONLY
            ]
            if not dated:
                continue
            text = sentence.strip()
            tasks.append(
                ParsedTask(
                    number=f"候选{len(tasks) + 1}",
                    path=heading,
                    text=text,
                    deadlines=text_deadlines(text, year),
                    targets=find_targets(text),
                )
            )
    return tasks


def parse_report(lines: list[str], file: str) -> ParsedNotice:
    """Parse a narrative report into its targets and candidate tasks."""
    year = report_year(lines)
    start = _plan_start(lines)
    targets = main_targets(lines[start]) if start < len(lines) else []
    title, _ = find_title(lines)
    if title is None:
        title = next(
            (
                line.replace(" ", "")
                for line in lines[:10]
                if "报告" in line.replace(" ", "") and len(line) <= 40
            ),
            None,
        )
    tasks = candidate_tasks(lines, start + 1, year)
    notice = ParsedNotice(
        file=file,
        kind="report",
        title=title,
        year=year,
        targets=targets,
        tasks=tasks,
        task_count=len(tasks),
    )
    notice.warnings.append(
        ParseWarning(
            code="NOT_A_NOTICE",
            message="这是叙述性报告，不是任务分解通知：已列出主要预期目标和带时间节点的事项，"
            "请补充责任领导和责任单位后再发布。",
        )
    )
    return notice
