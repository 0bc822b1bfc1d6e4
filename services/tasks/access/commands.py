"""``duban tokens announce``: every API token announced again to every service's copy."""

from __future__ import annotations

import argparse

from shared.config import Settings
from shared.runtime import service_runtime
from shared.service import Command


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["announce"])


def announce_tokens(_args: argparse.Namespace, settings: Settings) -> int:
    """Write an event for every token to the tasks outbox; the running service sends them."""
    from services.tasks.access.tokens import announce_all
    from services.tasks.spec import SPEC  # imported when run: the spec lists this command

    service = service_runtime(SPEC, settings)
    service.migrate()
    with service.sessions.begin() as session:
        count = announce_all(session)
    print(f"已重新通告 {count} 个令牌（随任务服务的事件发出）")
    return 0


COMMANDS = (
    Command(
        name="tokens",
        help="announce every API token again to every service's copy",
        add_arguments=_arguments,
        run=announce_tokens,
    ),
)
