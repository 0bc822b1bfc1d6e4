"""Settings, read from ``DUBAN_*`` environment variables once by the runtime (never at import).

The embedded default needs no settings at all: SQLite files and the in-process bus under
``DUBAN_DATA_DIR``. A production deployment sets ``DUBAN_DATABASE_URL`` (PostgreSQL; each
service then lives in its own schema) and ``DUBAN_BUS=kafka`` with ``DUBAN_KAFKA_BOOTSTRAP``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUBAN_", extra="ignore")

    data_dir: Path = Field(Path("./var"), description="SQLite files and the embedded bus log")
    database_url: str | None = Field(
        None, description="PostgreSQL URL shared by all services (one schema each); unset = SQLite"
    )
    bus: Literal["memory", "kafka"] = Field("memory", description="memory = in-process, durable")
    kafka_bootstrap: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma list"
    )
    kafka_partitions: int = Field(6, ge=1, description="partitions of each topic we create")
    kafka_replication: int = Field(1, ge=1, description="replication factor of created topics")
    topic_prefix: str = Field("duban", description="topics are named <prefix>.<source service>")
    memory_partitions: int = Field(4, ge=1, description="partitions of the in-process bus")
    relay_interval_s: float = Field(0.5, gt=0, description="outbox poll interval between wake-ups")
    outbox_retention_days: float = Field(
        7, gt=0, description="published outbox rows kept this long (days; fractions allowed)"
    )
    job_intervals: dict[str, float] = Field(
        default_factory=dict,
        description="seconds between runs of scheduled jobs, by id, as JSON: "
        '{"tasks.scan_deadlines": 600, "tasks.purge_outbox": 3600} (default: each job\'s own)',
    )
    host: str = Field("127.0.0.1", description="HTTP bind address")
    port: int = Field(8000, description="HTTP port")
    log_level: str = Field("info")
    production: bool = Field(
        False, description="production mode: refuse to start with a missing or weak secret"
    )
    operator_token: SecretStr | None = Field(
        None, description="bearer token of the operator API (/ops/…); unset = that API is off"
    )
    metrics_public: bool = Field(
        False, description="/metrics without the operator token (a scrape-only network)"
    )

    @field_validator("operator_token", mode="before")
    @classmethod
    def empty_is_unset(cls, value: object) -> object:
        """``DUBAN_OPERATOR_TOKEN=`` (compose passes an unset variable so) is no token, not
        an empty one that an empty ``Bearer`` header would match."""
        return None if value == "" else value

    def service_database_url(self, service: str) -> str:
        """A per-service override wins, then the shared PostgreSQL URL, then a SQLite file."""
        override = os.environ.get(f"DUBAN_{service.upper()}_DATABASE_URL")
        if override:
            return override
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / f'{service}.db').resolve()}"
