"""How the runtime sees the tasks service: its tables, migrations, routes, the events it
follows and its scheduled jobs, each declared by the concept that owns it."""

from pathlib import Path

from services.tasks.access.commands import COMMANDS as ACCESS_COMMANDS
from services.tasks.accounts.commands import COMMANDS as ACCOUNT_COMMANDS
from services.tasks.calendar.commands import COMMANDS as CALENDAR_COMMANDS
from services.tasks.database import metadata
from services.tasks.models_index import MODELS  # noqa: F401  (every table in the metadata)
from services.tasks.registration.handlers import BATCH_SUBSCRIPTIONS, SUBSCRIPTIONS
from services.tasks.reminders.commands import COMMANDS as SCAN_COMMANDS
from services.tasks.reminders.jobs import JOBS
from services.tasks.web import EXCEPTION_HANDLERS, ROUTERS
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    name="tasks",
    title="任务督办",
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=ROUTERS,
    subscriptions=SUBSCRIPTIONS,
    batch_subscriptions=BATCH_SUBSCRIPTIONS,
    exception_handlers=EXCEPTION_HANDLERS,
    jobs=JOBS,
    commands=(*CALENDAR_COMMANDS, *ACCESS_COMMANDS, *ACCOUNT_COMMANDS, *SCAN_COMMANDS),
)
