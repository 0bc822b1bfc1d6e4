"""The ``duban`` command."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from shared.config import Settings
from shared.runtime import SERVICE_NAMES, Runtime


def _serve(runtime: Runtime, settings: Settings, port: int | None) -> None:
    import uvicorn

    uvicorn.run(
        runtime.create_app(),
        host=settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        loop="uvloop",
        http="httptools",
    )


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if args.port is not None:
        settings.port = args.port
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("duban").info("data directory: %s", settings.data_dir.resolve())
    _serve(Runtime(settings), settings, args.port)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.workers <= 1:
        _serve(Runtime(settings, [args.service]), settings, args.port)
        return 0
    import os

    import uvicorn

    os.environ["DUBAN_SERVICE"] = args.service
    uvicorn.run(
        "shared.asgi:service_app",
        factory=True,
        workers=args.workers,
        host=settings.host,
        port=args.port or settings.port,
        log_level=settings.log_level.lower(),
        loop="uvloop",
        http="httptools",
    )
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from shared.migrations import downgrade

    runtime = Runtime(settings, args.services or SERVICE_NAMES)
    for service in runtime.services.values():
        if args.down:
            downgrade(service.engine, service.name, service.spec.migrations_dir)
        else:
            service.migrate()
        print(f"{service.name}: {'downgraded to base' if args.down else 'at head'}")
    return 0


def cmd_events_doc(args: argparse.Namespace, _settings: Settings) -> int:
    from shared.contracts.docs import render_events_doc

    text = render_events_doc()
    target = Path(args.output)
    if args.check:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is stale: run `duban events-doc`", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def cmd_parse(args: argparse.Namespace, _settings: Settings) -> int:
    """Read and parse one file, as intake would, without storing anything."""
    from services.intake.parsing import ParseError, parse_notice
    from services.intake.readers import ReadError, read_document
    from services.intake.settings import intake_settings

    path = Path(args.file)
    try:
        extracted = read_document(
            path.read_bytes(), path.name, max_bytes=intake_settings().max_upload_bytes
        )
        parsed = parse_notice(extracted.text, file=path.name)
    except (ReadError, ParseError) as exc:
        print(f"{path.name}: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    if args.json:
        print(parsed.model_dump_json(indent=2))
        return 0
    print(f"{parsed.title or path.name}  {parsed.doc_number or ''}  ({parsed.kind})")
    for task in parsed.tasks:
        units = "、".join(task.lead_units or task.responsible_units) or "（无单位）"
        print(f"  {task.number:>6}  {units}  {task.text[:40]}")
    for warning in parsed.warnings:
        print(f"  ! {warning.task or ''} {warning.message}")
    return 0


def cmd_score(args: argparse.Namespace, _settings: Settings) -> int:
    from services.intake.parsing.score import main as score_main

    return score_main([args.corpus] if args.corpus else [])


def cmd_holidays(args: argparse.Namespace, settings: Settings) -> int:
    """Load a year's holiday schedule (the State Council notice text, or a CSV) into the
    tasks service's database."""
    from services.tasks.calendar import CalendarDataError
    from services.tasks.holidays import import_year

    service = Runtime(settings, ["tasks"]).services["tasks"]
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="duban", description="督办: key-task supervision")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="all four services in one process (embedded default)")
    run.add_argument("--port", type=int, default=None)
    run.set_defaults(func=cmd_run)
    serve = sub.add_parser("serve", help="one service alone (PostgreSQL + Kafka deployment)")
    serve.add_argument("service", choices=SERVICE_NAMES)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (one per core)")
    serve.set_defaults(func=cmd_serve)
    migrate = sub.add_parser("migrate", help="run the services' migrations")
    migrate.add_argument("services", nargs="*", help=f"default: all of {SERVICE_NAMES}")
    migrate.add_argument("--down", action="store_true", help="downgrade to base instead")
    migrate.set_defaults(func=cmd_migrate)
    doc = sub.add_parser("events-doc", help="write the event contract reference")
    doc.add_argument("--output", default="docs/events.md")
    doc.add_argument("--check", action="store_true", help="fail if the file is stale")
    doc.set_defaults(func=cmd_events_doc)
    parse = sub.add_parser("parse", help="read and parse a notice file (txt, docx, pdf, ofd)")
    parse.add_argument("file")
    parse.add_argument("--json", action="store_true", help="print the whole result as JSON")
    parse.set_defaults(func=cmd_parse)
    score = sub.add_parser("score", help="score the parser against the annotated corpus")
    score.add_argument("corpus", nargs="?", help="default: ../shared/corpus")
    score.set_defaults(func=cmd_score)
    holidays = sub.add_parser("holidays", help="load a year's holidays and make-up workdays")
    holidays.add_argument("action", choices=["load"])
    holidays.add_argument("file", help="the State Council notice as text, or date,kind,note CSV")
    holidays.set_defaults(func=cmd_holidays)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return args.func(args, settings)


if __name__ == "__main__":
    sys.exit(main())
