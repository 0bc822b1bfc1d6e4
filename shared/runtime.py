"""Wiring: where services, the bus, relays, consumers and the scheduler meet.

``Runtime`` takes the services' specs themselves: which services there are, and which ones a
process runs, is the composition root's business (the ``duban`` package: ``duban run`` puts
all four in one process, ``duban serve NAME`` one of them alone). This library never imports
a service.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from fastapi import FastAPI

from shared.buses import create_bus
from shared.config import Settings
from shared.messaging.bus import Bus
from shared.service import Job, ServiceRuntime, ServiceSpec
from shared.web import create_service_app

log = logging.getLogger(__name__)

START_DELAY = timedelta(seconds=5)  # jobs that catch up after downtime, once all is running
YOUNG_OBJECTS = 20_000  # net allocations between two collections of the youngest objects


def service_runtime(spec: ServiceSpec, settings: Settings) -> ServiceRuntime:
    """One service as a ``duban`` command uses it: its database, on the bus the deployment
    runs on, nothing started. Events the command records wait in the outbox for the relay of
    the running service."""
    return ServiceRuntime(spec, settings, create_bus(settings))


def tune_collector() -> None:
    """Set the cyclic garbage collector for a long-running server, once it has started."""
    # Everything made so far (modules, models, tables, the app) lives as long as the
    # process: out of the collector's sight, a full collection under load walks only what
    # requests made, instead of pausing every request for the whole heap.
    gc.freeze()
    # A request allocates a few hundred short-lived objects that reference counting frees;
    # at the default threshold (700 net allocations) the collector ran every other request
    # and took 15 % of a progress report's CPU while finding nothing (bench/progress_load.py:
    # 3 s of collections per worker in 25 s). At 20,000 it runs when objects really pile up.
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])


class Runtime:
    """A set of services sharing one bus and one scheduler in this process."""

    def __init__(
        self, settings: Settings, specs: Sequence[ServiceSpec], bus: Bus | None = None
    ) -> None:
        self.settings = settings
        self.bus = bus or create_bus(settings)
        self.services = {s.name: ServiceRuntime(s, settings, self.bus) for s in specs}
        self.scheduler = BackgroundScheduler(
            timezone="Asia/Shanghai",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )

    def migrate(self) -> None:
        for service in self.services.values():
            service.migrate()

    def start(self) -> None:
        self.migrate()
        topics = {s.topic for s in self.services.values()}
        topics |= {t for s in self.services.values() for t in s.subscribed_topics}
        self.bus.ensure_topics(sorted(topics))
        for service in self.services.values():
            service.start()
        self._schedule_jobs()
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for service in self.services.values():
            service.stop()
        self.bus.close()
        for service in self.services.values():
            service.dispose()

    def _schedule_jobs(self) -> None:
        """Every service's jobs, and the purge of its published outbox rows, on the one
        scheduler; an interval in ``DUBAN_JOB_INTERVALS`` replaces a job's own."""
        for service in self.services.values():
            purge = Job(
                "purge_outbox",
                lambda s: s.relay.purge_published(self.settings.outbox_retention_days),
                {"trigger": "interval", "hours": 1},
                run_at_start=True,
            )
            for job in (purge, *service.spec.jobs):
                self._schedule(service, job)

    def _schedule(self, service: ServiceRuntime, job: Job) -> None:
        job_id = f"{service.name}.{job.name}"
        trigger = dict(job.trigger)
        if job_id in self.settings.job_intervals:
            trigger = {"trigger": "interval", "seconds": self.settings.job_intervals[job_id]}
        if job.run_at_start:
            trigger["next_run_time"] = datetime.now(UTC) + START_DELAY
        self.scheduler.add_job(
            job.func, args=[service], id=job_id, replace_existing=True, **trigger
        )

    def create_app(self) -> FastAPI:
        """One service: its own app at /. Several: each mounted under /<name>."""

        @asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            self.start()
            tune_collector()
            try:
                yield
            finally:
                self.stop()

        if len(self.services) == 1:
            (service,) = self.services.values()
            app = create_service_app(service)
            app.router.lifespan_context = lifespan
            return app
        app = FastAPI(title="duban 督办", lifespan=lifespan)
        for name, service in self.services.items():
            app.mount(f"/{name}", create_service_app(service))

        @app.get("/", tags=["运维"], summary="服务列表")
        async def index() -> dict[str, object]:
            return {
                "name": "duban 督办",
                "services": {
                    n: {"docs": f"/{n}/docs", "health": f"/{n}/healthz"} for n in self.services
                },
            }

        @app.get("/healthz", tags=["运维"], summary="存活检查")
        async def healthz() -> dict[str, str]:
            return {"status": "ok"}

        return app
