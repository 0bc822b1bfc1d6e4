"""The tasks service's ``duban`` commands: ``holidays load`` puts a year's holidays and
make-up workdays into the service's database from a file, for a year the ``chinesecalendar``
package does not know yet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shared.config import Settings
from shared.runtime import service_runtime
from shared.service import Command


def _holidays_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["load"])
    parser.add_argument("file", help="the State Council notice as text, or date,kind,note CSV")


def load_holidays(args: argparse.Namespace, settings: Settings) -> int:
    """Load a year's holiday schedule (the State Council notice text, or a CSV) into the
    tasks service's database."""
    from services.tasks.calendar import CalendarDataError
    from services.tasks.calendar.store import import_year
    from services.tasks.spec import SPEC  # imported when run: the spec lists this command

    service = service_runtime(SPEC, settings)
    service.migrate()
    raw = Path(args.file).read_bytes()
    text = raw.decode("utf-8-sig") if not raw.startswith(b"\xff\xfe") else raw.decode("utf-16")
    try:
        with service.sessions.begin() as session:
            year, days = import_year(session, text, "命令行")
    except CalendarDataError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 2
    print(f"{year}年节假日安排已导入：{days} 天")
    return 0


COMMANDS = (
    Command(
        name="holidays",
        help="load a year's holidays and make-up workdays",
        add_arguments=_holidays_arguments,
        run=load_holidays,
    ),
)
