"""Schemathesis against the OpenAPI of each of the four services, in-process (ASGI), on SQLite
and on PostgreSQL: every operation the document lists, every check schemathesis has, a
bounded number of examples per operation, derandomised. No server error, no response that
differs from its schema, no undocumented status, no schema-invalid request accepted.

The world has data (tasks/tasks_world.py: two governments, a published notice, tokens of
every kind), so that path parameters meet real ids (schemathesis takes them from the
responses it sees). Callers: the bootstrap admin in every service, and a supervisor of one
government in the tasks service (the supervisor's token is the tasks service's own).

One bound is not a schemathesis default: ``positive_data_acceptance`` also accepts 422. A
request can be schema-valid and still break a rule the schema cannot state (a unit's token
needs a unit, an extension must fall after the milestone, an admin names the government);
the API answers those with a documented 422 in the one error shape, which the other checks
verify. The stateful phase is off: its links are not declared, and it would only replay what
the other phases send.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "tasks"))

from tasks_world import ADMIN, World, service_app, world

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.engine import events, from_schema  # noqa: E402

SERVICES = ("intake", "tasks", "notify", "reporting")
MAX_EXAMPLES = 15  # per operation and phase; the 8 runs take about a minute on 2 cores
SEED = 20261201
OA_SECRET = "fuzz-oa-secret-0123456789abcdef0123456789"
# Operations left out, by service, each with why. Empty: every operation is fuzzed.
EXCLUDED: dict[str, dict[tuple[str, str], str]] = {}


@pytest.fixture(scope="module")
def fuzz_world(
    module_database_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """All four services, with data; the OA push enabled (so it answers 401 to a bad
    signature, not 503 for a missing secret)."""
    from services.intake.settings import intake_settings

    previous = os.environ.get("DUBAN_INTAKE_OA_WEBHOOK_SECRET")
    os.environ["DUBAN_INTAKE_OA_WEBHOOK_SECRET"] = OA_SECRET
    intake_settings.cache_clear()
    try:
        with world(
            tmp_path_factory.mktemp("fuzz"), "fuzz", module_database_url, services=SERVICES
        ) as built:
            yield built
    finally:
        if previous is None:
            os.environ.pop("DUBAN_INTAKE_OA_WEBHOOK_SECRET", None)
        else:
            os.environ["DUBAN_INTAKE_OA_WEBHOOK_SECRET"] = previous
        intake_settings.cache_clear()


def config(token: str) -> Any:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "max-failures": 1000,
            "suppress-health-check": ["all"],
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            "checks": {
                "enabled": True,
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", 401, 403, 404, 409, 422, 429]
                },
            },
            "phases": {"stateful": {"enabled": False}},
            "headers": {"Authorization": f"Bearer {token}"},
        }
    )


def fuzz(app: Any, token: str, service: str) -> tuple[int, int, list[str]]:
    """Run schemathesis on an app's OpenAPI: (operations, requests, failures)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config(token))
    for method, path in EXCLUDED.get(service, {}):
        schema = schema.exclude(method=method, path=path)
    operations, requests, failures = set(), 0, []
    seen: set[tuple[str, str, str]] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            if event.label:
                operations.add(event.label)
            requests += len(event.recorder.interactions)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    key = (event.label or "", check.name, failure.title)
                    if key in seen:
                        continue
                    seen.add(key)
                    case = event.recorder.cases[case_id].value
                    failures.append(
                        f"{event.label}: {check.name}: {failure.title}\n"
                        f"    {failure.message[:400]}\n"
                        f"    {case.method} {case.formatted_path} query={case.query} "
                        f"body={str(case.body)[:300]}"
                    )
        elif isinstance(event, events.NonFatalError):
            failures.append(f"{event.label}: error: {event.info.format()[:600]}")
        elif isinstance(event, events.FatalError):
            failures.append(f"fatal: {event.exception!r}")
    return len(operations), requests, failures


CALLERS = [(service, "admin") for service in SERVICES] + [("tasks", "supervisor-A")]


@pytest.mark.parametrize(("service", "caller"), CALLERS, ids=[f"{s}-{c}" for s, c in CALLERS])
def test_openapi_fuzz_finds_no_server_error_and_no_schema_violation(
    fuzz_world: World, service: str, caller: str
) -> None:
    app = service_app(fuzz_world.client.app, service)
    token = ADMIN if caller == "admin" else fuzz_world.tokens[caller]
    started = time.monotonic()
    operations, requests, failures = fuzz(app, token, service)
    took = time.monotonic() - started
    print(f"{service} as {caller}: {operations} operations, {requests} requests, {took:.1f}s")
    documented = sum(
        method in ("get", "put", "post", "patch", "delete")
        for path in app.openapi()["paths"].values()
        for method in path
    )
    assert operations == documented - len(EXCLUDED.get(service, ())), "every operation ran"
    assert not failures, "\n".join(failures)
