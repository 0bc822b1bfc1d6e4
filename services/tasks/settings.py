"""The tasks service's own settings (``DUBAN_TASKS_*``), read once when first needed."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class TasksSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUBAN_TASKS_", extra="ignore")

    admin_token: SecretStr | None = Field(
        None, description="bootstrap admin token; issue the real tokens with it (POST /tokens)"
    )


@lru_cache
def tasks_settings() -> TasksSettings:
    return TasksSettings()
