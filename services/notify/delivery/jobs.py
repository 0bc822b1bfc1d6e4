"""The sender as a scheduled job: every two seconds each replica runs passes until nothing
is due (replicas share the work: claims skip each other's rows). The channels are built
once per service runtime from the deployment's settings."""

from __future__ import annotations

import logging
import threading
import weakref
from datetime import UTC, datetime

from services.notify.channels.registry import build_channels
from services.notify.delivery.sender import Sender
from services.notify.settings import notify_settings
from shared.service import Job, ServiceRuntime

log = logging.getLogger(__name__)

_SENDERS: weakref.WeakKeyDictionary[ServiceRuntime, Sender] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def sender_of(runtime: ServiceRuntime) -> Sender:
    with _LOCK:
        sender = _SENDERS.get(runtime)
        if sender is None:
            settings = notify_settings()
            channels = build_channels(settings)
            if not channels:
                log.warning(
                    "notify: no channel enabled (DUBAN_NOTIFY_CHANNELS): every message owed is "
                    "recorded as skipped, none is sent"
                )
            sender = _SENDERS[runtime] = Sender(runtime.sessions, channels, settings)
        return sender


def deliver(runtime: ServiceRuntime) -> None:
    sender_of(runtime).drain(datetime.now(UTC))


JOBS = [Job("deliver", deliver, {"trigger": "interval", "seconds": 2}, run_at_start=True)]
