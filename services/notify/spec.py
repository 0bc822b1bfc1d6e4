"""How the runtime sees the notify service."""

from pathlib import Path

from services.notify.api import router
from services.notify.handlers import SUBSCRIPTIONS
from services.notify.models import metadata
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    name="notify",
    title="提醒通知",
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[router],
    subscriptions=SUBSCRIPTIONS,
)
