"""Intake's ``duban`` commands: ``parse`` shows what the parser reads from a file, as intake
would read it, without storing anything; ``score`` measures the parser against the annotated
corpus."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from services.intake.parsing import ParseError, parse_notice
from services.intake.parsing.score import main as score_main
from services.intake.readers import ReadError, read_document
from services.intake.settings import intake_settings
from shared.config import Settings
from shared.service import Command


def _parse_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")


def parse_file(args: argparse.Namespace, _settings: Settings) -> int:
    """Read and parse one file, as intake would, without storing anything."""
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


def _score_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", nargs="?", help="default: ../shared/corpus")


def score(args: argparse.Namespace, _settings: Settings) -> int:
    return score_main([args.corpus] if args.corpus else [])


COMMANDS = (
    Command(
        name="parse",
        help="read and parse a notice file (txt, docx, pdf, ofd)",
        add_arguments=_parse_arguments,
        run=parse_file,
    ),
    Command(
        name="score",
        help="score the parser against the annotated corpus",
        add_arguments=_score_arguments,
        run=score,
    ),
)
