"""How the runtime sees the notify service."""

from pathlib import Path

from services.notify.api import router
from services.notify.contacts.routes import router as contacts_router
from services.notify.delivery.jobs import JOBS
from services.notify.delivery.routes import router as deliveries_router
from services.notify.errors import EXCEPTION_HANDLERS
from services.notify.handlers import SUBSCRIPTIONS
from services.notify.models_index import metadata
from services.notify.templates.routes import router as templates_router
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    name="notify",
    title="提醒通知",
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[router, contacts_router, deliveries_router, templates_router],
    subscriptions=SUBSCRIPTIONS,
    jobs=JOBS,
    exception_handlers=EXCEPTION_HANDLERS,
)
