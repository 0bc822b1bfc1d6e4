"""Intake's own settings (``DUBAN_INTAKE_*``), read once when first needed."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class IntakeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUBAN_INTAKE_", extra="ignore")

    max_upload_mb: float = Field(20, gt=0, description="largest file accepted, in MB")
    oa_webhook_secret: SecretStr | None = Field(
        None, description="shared secret of the OA push webhook; unset = webhook disabled"
    )
    oa_replay_window_s: int = Field(300, ge=1, description="how old a signed push may be")
    max_notice_chars: int = Field(
        200_000, ge=1000, description="most characters of text a notice may hold, once read"
    )
    max_tasks: int = Field(1000, ge=1, description="most tasks one notice may hold")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


@lru_cache
def intake_settings() -> IntakeSettings:
    return IntakeSettings()
