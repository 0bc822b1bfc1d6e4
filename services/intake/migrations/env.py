"""Alembic environment of the intake service (its own version table and schema)."""

from services.intake.models import metadata
from shared.migrations import run_env

run_env(metadata, "intake")
