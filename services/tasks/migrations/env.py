"""Alembic environment of the tasks service (its own version table and schema)."""

from services.tasks.database import metadata
from services.tasks.models_index import MODELS  # noqa: F401  (every table in the metadata)
from shared.migrations import run_env

run_env(metadata, "tasks")
