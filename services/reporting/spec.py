"""How the runtime sees the reporting service."""

from datetime import UTC, datetime
from pathlib import Path

from services.reporting import commands
from services.reporting.api import router
from services.reporting.handlers import SUBSCRIPTIONS, beijing
from services.reporting.models import metadata
from services.reporting.web.pages import router as pages
from shared.service import Command, Job, ServiceRuntime, ServiceSpec


def send_digests(runtime: ServiceRuntime) -> None:
    """Every morning: each leader's red tasks, one message each (at most once a day)."""
    from services.reporting.digest import request_digests

    with runtime.sessions.begin() as session:
        request_digests(session, beijing(datetime.now(UTC)))


SPEC = ServiceSpec(
    name="reporting",
    title="督查统计",
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[router, pages],
    subscriptions=SUBSCRIPTIONS,
    jobs=[
        Job(
            "leader_digests",
            send_digests,
            {"trigger": "cron", "hour": 8, "minute": 30, "timezone": "Asia/Shanghai"},
        )
    ],
    commands=[
        Command(
            "report", "督查统计：台账、通报、催办单、重建视图", commands.add_arguments, commands.run
        )
    ],
)
