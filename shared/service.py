"""What a service declares about itself, and the running instance built from it.

A service package exposes one ``SPEC`` (name, tables, migrations, routers, event
subscriptions, scheduled jobs, ``duban`` commands). ``ServiceRuntime`` turns it into an
engine, a session factory, an outbox relay and a bus consumer; the runtime module starts and
stops them. Whoever composes the services (the ``duban`` package) collects the specs; this
library never looks a service up.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from shared.config import Settings
from shared.contracts import source_of, topic_for
from shared.db import make_engine, ping, session_factory
from shared.messaging.bus import Bus, BusConsumer
from shared.messaging.inbox import BatchEventHandler, EventHandler, Subscriber
from shared.messaging.outbox import OutboxRelay
from shared.migrations import upgrade
from shared.readiness import Check, NotReady, Readiness, Report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A scheduled job: ``func`` gets the service's runtime; ``trigger`` is APScheduler's."""

    name: str
    func: Callable[[ServiceRuntime], None]
    trigger: Mapping[str, Any]
    run_at_start: bool = False


@dataclass(frozen=True)
class Command:
    """A ``duban`` subcommand a service brings, declared in its spec like its jobs, so the
    command line grows with the services without knowing them.

    ``add_arguments`` fills the subcommand's parser; ``run`` gets the parsed arguments and
    the settings and returns the exit code. A command that needs its service's database
    builds it with ``shared.runtime.service_runtime(SPEC, settings)``."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Settings], int]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    title: str
    metadata: MetaData
    migrations_dir: Path
    routers: Sequence[APIRouter]
    subscriptions: Mapping[str, EventHandler] = field(default_factory=dict)
    # Optional: runs of events of one type handled at once (see BatchEventHandler).
    batch_subscriptions: Mapping[str, BatchEventHandler] = field(default_factory=dict)
    jobs: Sequence[Job] = ()
    commands: Sequence[Command] = ()
    exception_handlers: Mapping[type[Exception], Callable[..., Any]] = field(default_factory=dict)


class ServiceRuntime:
    def __init__(self, spec: ServiceSpec, settings: Settings, bus: Bus) -> None:
        self.spec = spec
        self.settings = settings
        self.bus = bus
        url = settings.service_database_url(spec.name)
        log.info("%s database: %s", spec.name, make_url(url).render_as_string(hide_password=True))
        self.engine = make_engine(url, spec.name)
        self.sessions = session_factory(self.engine)
        self.relay = OutboxRelay(
            spec.name, self.engine, bus, settings.topic_prefix, settings.relay_interval_s
        )
        self.subscriber = Subscriber(
            spec.name, self.sessions, spec.subscriptions, spec.batch_subscriptions
        )
        self._consumer: BusConsumer | None = None
        event.listen(self.sessions, "after_commit", self._wake_relay)
        self.readiness = Readiness(self._readiness_checks())

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def topic(self) -> str:
        return topic_for(self.spec.name, self.settings.topic_prefix)

    @property
    def subscribed_topics(self) -> list[str]:
        prefix = self.settings.topic_prefix
        return sorted({topic_for(source_of(t), prefix) for t in self.spec.subscriptions})

    @property
    def consumer_group(self) -> str:
        return f"{self.settings.topic_prefix}.{self.spec.name}"

    def migrate(self) -> None:
        upgrade(self.engine, self.spec.name, self.spec.migrations_dir)

    def start(self) -> None:
        self.relay.start()
        if self.spec.subscriptions:
            self._consumer = self.bus.consumer(
                self.consumer_group, self.subscribed_topics, self.subscriber
            )
            self._consumer.start()

    def stop(self) -> None:
        if self._consumer is not None:
            self._consumer.stop()
            self._consumer = None
        self.relay.stop()

    def check_ready(self) -> Report:
        """Whether the service can serve, naming the parts that cannot; bounded in time and
        kept for a moment (``shared/readiness.py``), so /readyz answers within 2 s even when
        the database and the broker are both down."""
        return self.readiness.report()

    def _readiness_checks(self) -> list[Check]:
        """The parts /readyz checks. A new kind of check (a scheduler, a disk) is one more
        ``Check`` here; its probe raises when the part is down."""
        checks = [
            Check("database", "数据库", lambda: ping(self.engine)),
            Check("bus", "消息总线", lambda: self.bus.ping()),  # looked up when asked
        ]
        if self.spec.subscriptions:
            checks.append(Check("consumer", "事件消费", self._check_consuming))
        return checks

    def _check_consuming(self) -> None:
        """The bus consumer takes its records (see ``BusConsumer.health``)."""
        consumer = self._consumer
        reason = "事件消费未启动" if consumer is None else consumer.health()
        if reason is not None:
            raise NotReady(reason)

    def dispose(self) -> None:
        self.engine.dispose()

    def _wake_relay(self, session: Session) -> None:
        if session.info.pop("outbox_written", False):
            self.relay.wake()
