"""Alembic environment of the reporting service (its own version table and schema)."""

from services.reporting.models import metadata
from shared.migrations import run_env

run_env(metadata, "reporting")
