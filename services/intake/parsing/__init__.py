"""Pure parser for task-decomposition notices (重点工作任务分解通知) and work reports.

Text in, data out: no I/O, no database, no network. The entry point is
:func:`parse_notice`; everything else is a small helper kept separate so each rule can be
tested on invented snippets.
"""

from services.intake.parsing.directory import UnitDirectory
from services.intake.parsing.errors import ParseError
from services.intake.parsing.model import (
    Deadline,
    ParsedNotice,
    ParsedTask,
    ParseWarning,
    ReportingRound,
    Target,
    UnitRef,
)
from services.intake.parsing.notice import parse_notice

__all__ = [
    "Deadline",
    "ParseError",
    "ParseWarning",
    "ParsedNotice",
    "ParsedTask",
    "ReportingRound",
    "Target",
    "UnitDirectory",
    "UnitRef",
    "parse_notice",
]
