"""How the runtime sees the tasks service."""

from pathlib import Path

from services.tasks.api import ROUTERS
from services.tasks.api.deps import EXCEPTION_HANDLERS
from services.tasks.commands import COMMANDS
from services.tasks.handlers import SUBSCRIPTIONS
from services.tasks.jobs import JOBS
from services.tasks.models import metadata
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    name="tasks",
    title="任务督办",
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=ROUTERS,
    subscriptions=SUBSCRIPTIONS,
    exception_handlers=EXCEPTION_HANDLERS,
    jobs=JOBS,
    commands=COMMANDS,
)
