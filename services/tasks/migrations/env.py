"""Alembic environment of the tasks service (its own version table and schema)."""

from services.tasks.models import metadata
from shared.migrations import run_env

run_env(metadata, "tasks")
