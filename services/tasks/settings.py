"""The tasks service's own settings (``DUBAN_TASKS_*``), read once when first needed."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TasksSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUBAN_TASKS_", extra="ignore")

    submit_threads: int = Field(
        8, ge=1, description="progress submissions processed at once per worker process"
    )
    login_max_failures: int = Field(5, ge=1, description="failed logins in a row that lock")
    login_lock_minutes: float = Field(15, gt=0, description="how long a lock-out lasts")
    login_failure_delay_s: float = Field(
        1.0, ge=0, description="each failed login is answered this much later"
    )
    demo: bool = Field(
        False,
        validation_alias=AliasChoices("DUBAN_DEMO"),
        description="`duban run --demo`: the login page lists the demo logins",
    )


@lru_cache
def tasks_settings() -> TasksSettings:
    return TasksSettings()
