"""The tasks service's own settings (``DUBAN_TASKS_*``), read once when first needed."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TasksSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUBAN_TASKS_", extra="ignore")

    submit_threads: int = Field(
        8, ge=1, description="progress submissions processed at once per worker process"
    )


@lru_cache
def tasks_settings() -> TasksSettings:
    return TasksSettings()
