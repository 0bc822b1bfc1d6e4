"""How the runtime sees intake: it publishes notices' tasks, follows the unit directory and
brings the ``parse`` and ``score`` commands."""

from pathlib import Path

from services.intake.api import oa_router, router
from services.intake.commands import COMMANDS
from services.intake.handlers import SUBSCRIPTIONS
from services.intake.models import metadata
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    name="intake",
    title="文件接收与任务分解",
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[router, oa_router],
    subscriptions=SUBSCRIPTIONS,
    commands=COMMANDS,
)
