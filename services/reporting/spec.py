"""How the runtime sees the reporting service."""

from pathlib import Path

from services.reporting.api import router
from services.reporting.handlers import SUBSCRIPTIONS
from services.reporting.models import metadata
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    name="reporting",
    title="督查统计",
    metadata=metadata,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[router],
    subscriptions=SUBSCRIPTIONS,
)
