"""The tasks service's HTTP API, one router per concern."""

from services.tasks.api.calendar import router as calendar_router
from services.tasks.api.directory import router as directory_router
from services.tasks.api.policy import router as policy_router
from services.tasks.api.progress import router as progress_router
from services.tasks.api.tasks import router as tasks_router
from services.tasks.api.tokens import router as tokens_router

ROUTERS = [
    tasks_router,
    progress_router,
    directory_router,
    tokens_router,
    calendar_router,
    policy_router,
]
