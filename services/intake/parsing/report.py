"""Narrative reports (政府工作报告, 计划报告): targets and dated promises, no units.

A report is not a notice, but a drafter starts the notice from it: its 主要预期目标 become
document-level targets and each sentence promising something by a date becomes a candidate
task, so the clerk only has to add leaders and units.
"""

from __future__ import annotations

import re

from services.intake.parsing.dates import find_deadlines
from services.intake.parsing.header import find_title
from services.intake.parsing.model import (
    DocumentTarget,
    ParsedNotice,
    ParsedTask,
    ParseWarning,
    Target,
)
from services.intake.parsing.structure import match_numbered
from services.intake.parsing.targets import find_targets
from services.intake.parsing.tasks import text_deadlines
from services.intake.parsing.text import strip_spaces

_MEETING_DATE = re.compile(r"——\s*(?P<y>(?:19|20)\d{2})年\d{1,2}月\d{1,2}日")
_TARGETS_INTRO = re.compile(
    r"(?:主要(?:预期)?|预期|发展)(?:目标|指标)(?:安排)?(?:是|为)[：:]?|主要(?:预期)?目标[：:]"
)
_MARKERS = re.compile(
    r"各位代表|政府工作报告|的报告|主要预期目标|人民代表大会|请予审议|工作回顾|过去(?:的)?一年"
)
_PLAN_HEADING = re.compile(
    r"(?:(?P<y>(?:19|20)\d{2})年|今年|明年|新的一年)(?:的|全[县区市])?(?:政府)?"
    r"(?:工作|重点工作|主要任务|工作任务|工作安排|总体要求|主要目标|目标任务|重点任务)"
    r"|(?P<next>明年)?(?:重点)?(?:抓好|做好|突出)以下"
)
_REVIEW = re.compile(r"回顾|情况|成绩|总结|过去")
_LIST_ITEM = re.compile(r"^(?:——|—|-|[（(]?[一二三四五六七八九十\d]{1,2}[）)、.．])")
_QUALITATIVE = re.compile(r"同步|保持|稳定|完成.{0,8}(?:下达|确定|目标|任务)|控制在|持续改善|稳步")
_VAGUE_ONLY = {"全年", "年度"}


def looks_like_report(lines: list[str]) -> bool:
    """True when the text reads like a report to a people's congress.

    Spaces are removed first: a title is often letter-spaced ("政 府 工 作 报 告").
    """
    text = re.sub(r"\s+", "", "".join(lines))
    return len({match.group() for match in _MARKERS.finditer(text)}) >= 2


def report_year(lines: list[str]) -> int | None:
    """The year of the congress session, else the first year in the head."""
    head = "\n".join(lines[:15])
    match = _MEETING_DATE.search(head) or re.search(r"(?:19|20)\d{2}", head)
    return int(match.group(1) if match.re is _MEETING_DATE else match.group()) if match else None


def plan_section(lines: list[str], session: int | None) -> tuple[int | None, int | None]:
    """Where the plan for the coming year starts and its year.

    A heading such as "三、2020年工作任务", "今年工作的总体要求和主要目标" or "明年重点抓好以下
    工作" opens it; the latest year named wins, because the review names the past one.
    """
    found: list[tuple[int, int | None]] = []
    for index, line in enumerate(lines):
        if len(line) > 40 or _REVIEW.search(line):
            continue
        match = _PLAN_HEADING.search(line)
        if not match:
            continue
        year = int(match.group("y")) if match.group("y") else None
        if year is None and session and ("明年" in line or match.group("next")):
            year = session + 1
        found.append((index, year or session))
    if not found:
        return None, session
    latest = max((year or 0) for _, year in found)
    return next((i, y) for i, y in found if (y or 0) == latest)


def _plan_start(lines: list[str], section: int | None) -> int:
    """Index of the 主要预期目标 line of the plan: the first after the plan heading, else the
    last in the text, else the plan heading, else the middle of the text."""
    hits = [i for i, line in enumerate(lines) if _TARGETS_INTRO.search(line)]
    after = [i for i in hits if section is not None and i >= section]
    if after:
        return after[0]
    if hits:
        return hits[-1]
    return section if section is not None else len(lines) // 2


def _clause_target(clause: str) -> Target | DocumentTarget | None:
    found = find_targets(clause)
    if found:
        return DocumentTarget(**found[0].model_copy(update={"phrase": clause}).model_dump())
    if _QUALITATIVE.search(clause) and len(clause) <= 40:
        return DocumentTarget(phrase=clause, subject=clause)
    return None


def main_targets(line: str, following: list[str] | None = None) -> list[DocumentTarget]:
    """Each clause of the 主要预期目标 sentence that states a goal, as one target.

    When the sentence only introduces them, the goals are the list lines after it
    ("——地区生产总值增长6%左右；").
    """
    intro = _TARGETS_INTRO.search(line)
    body = line[intro.end() :] if intro else line
    targets = _clause_targets(body)
    if not targets and following:
        for extra in following[:15]:
            found = _clause_targets(_LIST_ITEM.sub("", extra))
            if not found and not _LIST_ITEM.match(extra):
                break
            targets.extend(found)
    return targets


def _clause_targets(body: str) -> list[DocumentTarget]:
    targets: list[DocumentTarget] = []
    for clause in re.split(r"[，；;。,]", body):
        target = _clause_target(clause.strip())
        if target is not None:
            targets.append(target)  # type: ignore[arg-type]
    return targets


def candidate_tasks(lines: list[str], start: int, year: int | None) -> list[ParsedTask]:
    """Sentences after the targets that promise something by a date, as unnumbered tasks."""
    tasks: list[ParsedTask] = []
    heading: list[str] = []
    for line in lines[start:]:
        if match_numbered(line):
            first = line.split("。", 1)[0]
            heading = [first]
            if len(line) <= 40 and line.rstrip("。") == first:
                continue  # a heading alone; else its sentences follow on the line
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
                    deadlines=[
                        d for d in text_deadlines(text, year) if d.phrase not in _VAGUE_ONLY
                    ],
                    targets=find_targets(text),
                )
            )
    return tasks


def parse_report(lines: list[str], file: str) -> ParsedNotice:
    """Parse a narrative report into its targets and candidate tasks."""
    section, year = plan_section(lines, report_year(lines))
    start = _plan_start(lines, section)
    targets = main_targets(lines[start], lines[start + 1 :]) if start < len(lines) else []
    if section is not None:
        start = min(start, section)
    title, _ = find_title(lines)
    if title is None:
        title = next(
            (
                strip_spaces(line)
                for line in lines[:10]
                if "报告" in strip_spaces(line) and len(line) <= 40
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
