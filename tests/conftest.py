"""Shared fixtures. PostgreSQL and Kafka are real servers, started by scripts/test.sh; their
addresses come from DUBAN_TEST_PG_URL and DUBAN_TEST_KAFKA_BOOTSTRAP. With CI=true a test that
needs one of them fails when it is missing; without CI it is skipped with the reason."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import BUS_PARTITIONS, IN_CI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared.config import Settings
from shared.messaging.bus import Bus

REPO = Path(__file__).resolve().parent.parent


def _missing(what: str, why: str) -> None:
    message = f"{what} unavailable: {why}"
    if IN_CI:
        pytest.fail(message + " (required in CI)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = os.environ.get("DUBAN_TEST_PG_URL")
    if not url:
        _missing("PostgreSQL", "DUBAN_TEST_PG_URL is not set (run scripts/test.sh)")
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        _missing("PostgreSQL", f"{url}: {exc}")
    return url


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty database per test, dropped afterwards."""
    name = f"duban_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    bootstrap = os.environ.get("DUBAN_TEST_KAFKA_BOOTSTRAP")
    if not bootstrap:
        _missing("Kafka", "DUBAN_TEST_KAFKA_BOOTSTRAP is not set (run scripts/test.sh)")
    try:
        from shared.messaging.kafka import KafkaBus

        KafkaBus(bootstrap).ping()
    except Exception as exc:
        _missing("Kafka", f"{bootstrap}: {exc}")
    return bootstrap


@pytest.fixture
def topic_prefix() -> str:
    """Fresh topics and consumer groups for every test."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def embedded_settings(tmp_path: Path, topic_prefix: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "var", bus="memory", topic_prefix=topic_prefix, relay_interval_s=0.1
    )


@pytest.fixture
def production_settings(
    tmp_path: Path, pg_url: str, kafka_bootstrap: str, topic_prefix: str
) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        bus="kafka",
        database_url=pg_url,
        kafka_bootstrap=kafka_bootstrap,
        kafka_partitions=3,
        topic_prefix=topic_prefix,
        relay_interval_s=0.1,
    )


@pytest.fixture(params=["embedded", "production"])
def settings(request: pytest.FixtureRequest) -> Settings:
    """Runs a test on SQLite + in-process bus, and on PostgreSQL + Kafka."""
    return request.getfixturevalue(f"{request.param}_settings")


ADMIN_TOKEN = "test-admin-token-0123456789"


@pytest.fixture
def admin_headers(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The tasks service's bootstrap admin token, set for this test only."""
    from shared.identity.verify import identity_settings

    monkeypatch.setenv("DUBAN_TASKS_ADMIN_TOKEN", ADMIN_TOKEN)
    identity_settings.cache_clear()
    yield {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    identity_settings.cache_clear()


@pytest.fixture(params=["memory", "kafka"])
def bus(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bus]:
    """Each test that takes it runs on the in-process bus and on Kafka."""
    if request.param == "memory":
        from shared.messaging.memory import MemoryBus

        instance: Bus = MemoryBus(tmp_path / "bus.db", partitions=BUS_PARTITIONS)
    else:
        from shared.messaging.kafka import KafkaBus

        instance = KafkaBus(request.getfixturevalue("kafka_bootstrap"), partitions=BUS_PARTITIONS)
    yield instance
    instance.close()


@pytest.fixture
def topic(bus: Bus, topic_prefix: str) -> str:
    name = f"{topic_prefix}.bus"
    bus.ensure_topics([name])
    return name


# Every test that touches a database runs on both: SQLite (the embedded default) and
# PostgreSQL (a deployment), the same test, parametrised.
@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None: a SQLite file under the test's data directory."""
    return request.getfixturevalue("pg_url") if request.param == "postgresql" else None


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The same, for a world built once per test module: a database of its own."""
    if request.param == "sqlite":
        yield None
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    name = f"duban_m_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
