"""``duban scan [--date YYYY-MM-DD] [--dry-run]``: run or preview the deadline scan for a day
and print each reminder with its reason (``preview``)."""

from __future__ import annotations

import argparse
from datetime import date

from shared.config import Settings
from shared.contracts import limits
from shared.runtime import service_runtime
from shared.service import Command


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text}") from None
    if not limits.YEAR_MIN <= day.year <= limits.YEAR_MAX:
        raise argparse.ArgumentTypeError(f"年份应在 {limits.YEAR_MIN}–{limits.YEAR_MAX} 之间")
    return day


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", type=_day, help="the day to scan (default: today, Beijing)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would be asked; ask nothing"
    )


def run_scan(args: argparse.Namespace, settings: Settings) -> int:
    from services.tasks.clock import beijing_today
    from services.tasks.reminders.preview import scan_day
    from services.tasks.spec import SPEC  # imported when run: the spec lists this command

    service = service_runtime(SPEC, settings)
    service.migrate()
    day = args.date or beijing_today()
    planned = scan_day(service.sessions, day, args.dry_run)
    done = "预演，未发出" if args.dry_run else "已提请通知服务发送"
    print(f"{day.isoformat()} 到期扫描（{done}）：{len(planned)} 条提醒")
    for item in planned:
        print(item.line())
    return 0


COMMANDS = (
    Command(
        name="scan",
        help="run (or --dry-run preview) the deadline scan for a day",
        add_arguments=_arguments,
        run=run_scan,
    ),
)
