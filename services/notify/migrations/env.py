"""Alembic environment of the notify service (its own version table and schema)."""

from services.notify.models_index import metadata
from shared.migrations import run_env

run_env(metadata, "notify")
