"""Logging for every duban process: one format, and one formatter that keeps out of every
log line what must never be in a log, whatever code wrote it.

Defence in depth, not the first line: code does not log bodies, tokens or parameters (the
engines hide statement parameters), but a traceback, a library's debug line or an access log
can still carry them. So every formatted line (message, traceback included) is cleaned:

* full mobile numbers are masked (``139****5678``), as the rules on personal information ask;
* the configured secrets (any ``DUBAN_*`` setting named as a token, secret, key or password)
  and every issued API token (``dbn_…``) become ``***``;
* an access log line loses its query string, which may carry names or numbers.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
ISSUED_TOKEN = re.compile(r"dbn_[A-Za-z0-9_-]{16,}")
QUERY = re.compile(r'("[A-Z]+ [^ ?"]*)\?[^ "]*')
SECRET_NAMES = re.compile(r"^DUBAN_\w*(TOKEN|SECRET|KEY|PASSWORD)$")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def mask_phone(text: str) -> str:
    """``13912345678`` → ``139****5678``; longer digit runs (ids, amounts) are left alone."""
    return PHONE.sub(r"\1****\2", text)


def configured_secrets() -> tuple[str, ...]:
    """The secret values this process was given, longest first (so none is half-replaced)."""
    values = {
        value for name, value in os.environ.items() if SECRET_NAMES.match(name) and len(value) >= 8
    }
    return tuple(sorted(values, key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    text = ISSUED_TOKEN.sub("dbn_***", text)
    return QUERY.sub(r"\1", mask_phone(text))


class RedactingFormatter(logging.Formatter):
    """The one formatter of every handler; reads the secrets when logging is configured."""

    def __init__(self, fmt: str | None = FORMAT, datefmt: str | None = None) -> None:
        super().__init__(fmt, datefmt)
        self.secrets = configured_secrets()

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def log_config(level: str) -> dict[str, Any]:
    """For ``logging.config.dictConfig`` and uvicorn's ``log_config``: every logger, the
    server's access and error logs included, writes through ``RedactingFormatter``."""
    handler = {"class": "logging.StreamHandler", "formatter": "redacting"}
    server = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"redacting": {"()": RedactingFormatter}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": server,
            "uvicorn.error": server,
            "uvicorn.access": server,
            # every job run is an INFO line (the sender runs every two seconds): only trouble
            "apscheduler": {"level": "WARNING"},
        },
    }
