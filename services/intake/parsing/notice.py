"""Entry point: ``parse_notice(text)`` → :class:`ParsedNotice`.

Text is normalised, the header read, the outline built and the tasks taken from it. A
narrative report is recognised and handed to :mod:`report`; anything else that has no
task structure is refused with a :class:`ParseError` a clerk can act on.
"""

from __future__ import annotations

import re

from services.intake.parsing.attachment import announces_attachment, attachment_starts
from services.intake.parsing.directory import UnitDirectory, apply_directory
from services.intake.parsing.errors import ParseError
from services.intake.parsing.header import (
    Header,
    find_issued_date,
    parse_header,
    reporting_phrases,
    reporting_rounds,
)
from services.intake.parsing.layouts import Reading, read_tasks
from services.intake.parsing.model import ParsedNotice, ParsedTask, ParseWarning
from services.intake.parsing.report import looks_like_report, parse_report
from services.intake.parsing.tasks import normalised_units
from services.intake.parsing.text import normalise
from services.intake.parsing.units import first_unit_leads, issuer_places

MAX_CHARS = 2_000_000


def _check_input(text: object) -> str:
    if not isinstance(text, str):
        raise ParseError("输入不是文本，请上传文字版的通知。")
    if len(text) > MAX_CHARS:
        raise ParseError("文本过长，超出单个通知的合理长度，请检查上传的文件。")
    if not text.strip():
        raise ParseError("文本为空，请上传包含任务分解内容的通知。")
    if "\x00" in text or _control_ratio(text) > 0.05:
        raise ParseError("文本含有大量乱码或二进制内容，请上传文字版的通知。")
    return text


def _control_ratio(text: str) -> float:
    sample = text[:20000]
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    return bad / len(sample)


def parse_notice(
    text: str, *, file: str = "", directory: UnitDirectory | None = None
) -> ParsedNotice:
    """Parse a task-decomposition notice (or recognise a narrative report).

    With a ``directory`` the units are resolved against it and unknown names warned about.
    Raises :class:`ParseError` for empty or binary text and for text that is neither a
    notice with tasks nor a report.
    """
    raw = normalise(_check_input(text)).split("\n")
    lines = [line.strip() for line in raw if line.strip()]
    if not lines:
        raise ParseError("文本为空，请上传包含任务分解内容的通知。")
    header = parse_header(lines, [])
    warnings: list[ParseWarning] = []
    body_raw = raw[_raw_index(raw, header.body_start) :]
    reading, cut = _read_document(body_raw, header.year, warnings)
    if cut is not None:
        before = [line.strip() for line in body_raw[:cut] if line.strip()]
        header.issued_date = find_issued_date(before) or header.issued_date
    if not reading.tasks:
        if looks_like_report(lines):
            return parse_report(lines, file)
        if announces_attachment(lines):
            return _without_attachment(header, file, lines)
        raise ParseError(_refusal(reading.findings))
    tasks, preamble = reading.tasks, reading.preamble
    phrases = reporting_phrases(preamble)
    notice = ParsedNotice(
        file=file,
        kind="notice",
        doc_number=header.doc_number,
        issuer=header.issuer,
        title=header.title,
        issued_date=header.issued_date,
        year=header.year,
        recipients=header.recipients,
        reporting_requirements=phrases,
        reporting_rounds=reporting_rounds(phrases, header.year),
        task_count=len(tasks),
        tasks=tasks,
        warnings=warnings,
    )
    places = issuer_places(header.issuer)
    first_leads = first_unit_leads("\n".join(body_raw))
    for task in tasks:
        if first_leads and not task.lead_units and task.responsible_units:
            task.lead_units = task.responsible_units[:1]
        task.units = normalised_units(task, places)
    notice.warnings.extend(_document_warnings(notice))
    return apply_directory(notice, directory) if directory else notice


def _raw_index(raw: list[str], nonblank: int) -> int:
    """Index in ``raw`` (blank lines kept) of its ``nonblank``-th non-blank line."""
    seen = -1
    for index, line in enumerate(raw):
        if line.strip():
            seen += 1
            if seen == nonblank:
                return index
    return len(raw)


def _read_document(
    body: list[str], year: int | None, warnings: list[ParseWarning]
) -> tuple[Reading, int | None]:
    """Tasks of the last attachment that has any, else of the whole body.

    A notice whose task list is an attachment has its own body first (with dates of its
    own, "自4月起每月通报一次"), then signature and date, then 附件 and the list: the body is
    then preamble, not tasks. Returns the reading and where the attachment starts.
    """
    for cut in reversed(attachment_starts(body)):
        attached: list[ParseWarning] = []
        reading = read_tasks(body[cut + 1 :], year, attached)
        if reading.tasks:
            warnings.extend(attached)
            lead = [line.strip() for line in body[:cut] if line.strip()]
            return Reading(reading.tasks, lead + reading.preamble), cut
    return read_tasks(body, year, warnings), None


def _refusal(findings: list[str]) -> str:
    tried = "；".join(findings) or "没有可读的内容"
    return (
        "未找到带有牵头单位或责任单位的编号任务，这份文本不像任务分解通知。"
        f"已尝试逐行表格、每格一行的表格和编号条目：{tried}。"
        "请确认上传的是任务分解通知或其附件（任务分解表）。"
    )


def _without_attachment(header: Header, file: str, lines: list[str]) -> ParsedNotice:
    """A notice that announces its task list as an attachment the text does not hold."""
    return ParsedNotice(
        file=file,
        kind="notice",
        doc_number=header.doc_number,
        issuer=header.issuer,
        title=header.title,
        issued_date=header.issued_date,
        year=header.year,
        recipients=header.recipients,
        warnings=[
            ParseWarning(
                code="ATTACHMENT_MISSING",
                message="通知提到附件（任务分解表），但上传的文本中没有附件内容，"
                "没有读到任务：请连同附件一起上传，或单独上传附件。",
            )
        ],
    )


def _document_warnings(notice: ParsedNotice) -> list[ParseWarning]:
    """Warnings about the whole document: no year, a leader left out, a unit spelt two ways."""
    out: list[ParseWarning] = []
    if notice.year is None:
        out.append(
            ParseWarning(code="NO_YEAR", message="未能确定任务年度，时间节点无法换算成日期。")
        )
    return out + across_tasks_warnings(notice.tasks)


def across_tasks_warnings(tasks: list[ParsedTask]) -> list[ParseWarning]:
    """What only the tasks together show: a leader left out, a unit spelt two ways."""
    out = _missing_leaders(tasks)
    for first, second in _spelling_variants(tasks):
        out.append(
            ParseWarning(
                code="UNIT_VARIANT",
                message=f"同一单位可能有两种写法：“{first}”与“{second}”，请统一。",
            )
        )
    return out


def _missing_leaders(tasks: list[ParsedTask]) -> list[ParseWarning]:
    """A task without 责任领导 where other tasks name theirs: most likely a line left out."""
    if not any(task.leaders for task in tasks):
        return []
    return [
        ParseWarning(
            code="NO_LEADER",
            task=task.number,
            message=f"第{task.number}项任务没有责任领导，而本通知其他任务都列明了责任领导，请补充。",
        )
        for task in tasks
        if not task.leaders
    ]


def _spelling_variants(tasks: list[ParsedTask]) -> list[tuple[str, str]]:
    """Pairs of unit names equal up to 和/与/及 or one inserted prefix character."""
    names = sorted({ref.name for task in tasks for ref in task.units})
    keyed: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for name in names:
        key = re.sub(r"[和与及]", "", name)
        if key in keyed and keyed[key] != name:
            pairs.append((keyed[key], name))
        keyed.setdefault(key, name)
    return pairs
