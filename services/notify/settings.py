"""The notify service's own settings (``DUBAN_NOTIFY_*``), read once when first needed.

Channel secrets (WeCom corp secret, SMS keys, OA tokens) are the channel clients' settings,
read by their own factories from the environment, never logged and never stored here."""

from __future__ import annotations

from datetime import time
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUBAN_NOTIFY_", extra="ignore")

    channels: str = Field(
        "",
        description="enabled channels in the default order of preference, comma list, e.g. "
        "wecom_app,sms,oa_todo (see services/notify/channels/registry.py)",
    )
    timezone: str = Field("Asia/Shanghai", description="the zone quiet hours and days are read in")
    quiet_start: time = Field(time(21, 0), description="quiet hours begin (local time)")
    quiet_end: time = Field(time(8, 0), description="quiet hours end (local time)")
    digest_after: int = Field(
        3, ge=1, description="K: separate reminders a recipient gets a day on one channel"
    )
    portal_url: str = Field(
        "http://127.0.0.1:8000", description="where people open a task: <url>/tasks/tasks/<id>"
    )
    retry_window_s: float = Field(
        4 * 3600, gt=0, description="how long a delivery is retried on one channel"
    )
    backoff_first_s: float = Field(30, gt=0, description="first retry after about this long")
    backoff_max_s: float = Field(1800, gt=0, description="retries at most this far apart")
    lease_s: float = Field(
        600, gt=0, description="a delivery left 'sending' this long by a dead sender is in doubt"
    )
    batch: int = Field(200, ge=1, description="deliveries claimed at once by one sender")
    workers: int = Field(8, ge=1, description="messages sent at once by one sender")

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(n.strip() for n in self.channels.split(",") if n.strip())


@lru_cache
def notify_settings() -> NotifySettings:
    return NotifySettings()
