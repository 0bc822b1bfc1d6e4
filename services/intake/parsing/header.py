"""The notice's header and footer: 文号, issuer, title, 主送, 成文日期, year, reporting rules.

These sit in fixed places in the official-document layout (GB/T 9704): number and issuer
above the title, the 主送 line after it, the date of issue at the very end. The work year
comes from the title first ("2022年重点工作"), because a notice issued in the new year
about last year's report would otherwise be dated a year late.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from services.intake.parsing.dates import find_deadlines
from services.intake.parsing.model import ReportingRound
from services.intake.parsing.numerals import chinese_to_int
from services.intake.parsing.text import ascii_digits

DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,12}\s*[〔［\[【(（]\s*(?:19|20)\d{2}\s*[〕］\]】)）]\s*\d{1,4}\s*号"
)
ISSUER_END = re.compile(
    r"(?:人民政府(?:办公室|办公厅)?|办公室|办公厅|委员会|管委会|局|督查局|指挥部)$"
)
TITLE_END = re.compile(
    r"(?:通知|意见|方案|报告|决定|函|安排|清单|分解表|台账|计划)(?:[（(][^）)]{1,8}[）)])?$"
)
_CN_DIGITS = "〇○零一二三四五六七八九十"
_CN_DATE = rf"(?:[{_CN_DIGITS}]{{4}}|\d{{4}})年[{_CN_DIGITS}\d]{{1,3}}月[{_CN_DIGITS}\d]{{1,3}}日"
ISSUED_DATE = re.compile(rf"^\s*(?P<d>{_CN_DATE})\s*$")
_REPORT_VERB = re.compile(r"报送|上报|报告|报至|报县|报区|报市|反馈")
_REPORT_START = re.compile(
    r"每(?:个)?(?:季度|月|半年|年)|(?:\d{4}年)?\d{1,2}月\d{1,2}日|(?:\d{4}年)?\d{1,2}月底|"
    r"年底前|年底|上半年|季度末"
)


@dataclass
class Header:
    """Header and footer fields of a notice."""

    doc_number: str | None = None
    issuer: str | None = None
    title: str | None = None
    recipients: str | None = None
    issued_date: str | None = None
    year: int | None = None
    body_start: int = 0


def parse_date(text: str) -> dt.date | None:
    """Parse "2022年4月27日" or "二〇二二年四月二十七日"; None when it is not a valid date."""
    match = re.match(r"(?P<y>.+?)年(?P<m>.+?)月(?P<d>.+?)日", text.strip())
    if not match:
        return None
    parts = [chinese_to_int(match.group(key)) for key in ("y", "m", "d")]
    if None in parts:
        return None
    try:
        return dt.date(*parts)  # type: ignore[arg-type]
    except ValueError:
        return None


def _head_lines(lines: list[str], limit: int = 12) -> list[str]:
    return [line.strip() for line in lines[:limit] if line.strip()]


def find_title(lines: list[str]) -> tuple[str | None, int]:
    """Join the title lines ("关于…" up to "…的通知"); return it and the next line index."""
    for start, line in enumerate(lines[:15]):
        if not line.strip().startswith("关于"):
            continue
        parts: list[str] = []
        for index in range(start, min(start + 8, len(lines))):
            part = lines[index].strip()
            if not part:
                continue
            parts.append(part)
            if TITLE_END.search(part):
                return "".join(parts), index + 1
        return "".join(parts[:1]), start + 1
    return None, 0


def find_issuer(lines: list[str], title_index: int) -> str | None:
    """The issuing organ: a short line above the title ending like an organ's name."""
    for line in _head_lines(lines[: max(title_index, 1)] if title_index else lines, 8):
        if DOC_NUMBER.search(line) or line.startswith("关于") or len(line) > 30:
            continue
        if ISSUER_END.search(line.replace(" ", "")):
            return line.replace(" ", "")
    return None


def find_recipients(lines: list[str], start: int) -> tuple[str | None, int]:
    """The 主送 line right after the title: it ends with a colon and lists addressees."""
    for index in range(start, min(start + 4, len(lines))):
        line = lines[index].strip()
        if not line or DOC_NUMBER.fullmatch(ascii_digits(line)):
            continue  # reprints put the 文号 under the title
        if line.endswith(("：", ":")) and len(line) < 120 and not line.startswith("各位"):
            return line[:-1].strip(), index + 1
        return None, start
    return None, start


def find_issued_date(lines: list[str]) -> str | None:
    """The 成文日期: the last date standing alone on a line near the end."""
    for line in reversed([line for line in lines if line.strip()][-12:]):
        match = ISSUED_DATE.match(line)
        if match:
            date = parse_date(match.group("d"))
            return date.isoformat() if date else None
    return None


def find_year(title: str | None, doc_number: str | None, issued: str | None) -> int | None:
    """The work year: from the title, else from the 文号, else from the date of issue."""
    for source in (title, doc_number, issued):
        match = re.search(r"(?:19|20)\d{2}", ascii_digits(source or ""))
        if match:
            return int(match.group())
    return None


def reporting_phrases(preamble: list[str]) -> list[str]:
    """Verbatim clauses of the preamble that say when progress must be reported."""
    phrases: list[str] = []
    for line in preamble:
        for clause in re.split(r"[，。；;]", line):
            start = _REPORT_START.search(clause)
            if start and _REPORT_VERB.search(clause[start.start() :]):
                phrases.append(clause[start.start() :].strip())
    return phrases


def reporting_rounds(phrases: list[str], year: int | None) -> list[ReportingRound]:
    """Dated reporting rounds: "每季度末月30日前" gives four, an explicit list gives each."""
    rounds: list[ReportingRound] = []
    if year is None:
        return rounds
    for phrase in phrases:
        periodic = re.match(r"每(?:个)?(季度|月)(?:末月|末)?(\d{1,2})日", phrase)
        if periodic:
            months = range(3, 13, 3) if periodic.group(1) == "季度" else range(1, 13)
            rounds.extend(_periodic(year, months, int(periodic.group(2)), phrase))
            continue
        for match in find_deadlines(_carry_month_days(phrase), year):
            if match.date:
                rounds.append(ReportingRound(date=match.date.isoformat(), phrase=phrase))
    unique = {(r.date, r.phrase): r for r in rounds}
    return sorted(unique.values(), key=lambda r: r.date)


def _carry_month_days(phrase: str) -> str:
    """Drop words such as "全年" after the reporting verb so they are not taken as dates."""
    verb = _REPORT_VERB.search(phrase)
    return phrase[: verb.start()] if verb else phrase


def _periodic(year: int, months: range, day: int, phrase: str) -> list[ReportingRound]:
    out = []
    for month in months:
        try:
            out.append(ReportingRound(date=dt.date(year, month, day).isoformat(), phrase=phrase))
        except ValueError:
            last = 28 if month == 2 else 30
            out.append(ReportingRound(date=dt.date(year, month, last).isoformat(), phrase=phrase))
    return out


def parse_header(lines: list[str], trailer: list[str]) -> Header:
    """Read the header fields from the document's first lines and the date from its end."""
    header = Header()
    head = ascii_digits("\n".join(lines[:12]))
    number = DOC_NUMBER.search(head)
    header.doc_number = re.sub(r"\s+", "", number.group()) if number else None
    header.title, after_title = find_title(lines)
    header.issuer = find_issuer(lines, after_title)
    header.recipients, header.body_start = find_recipients(lines, after_title)
    if not header.body_start:
        header.body_start = after_title
    header.issued_date = find_issued_date(trailer or lines)
    header.year = find_year(header.title, header.doc_number, header.issued_date)
    return header
