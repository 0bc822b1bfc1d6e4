"""Tokens issued before every service verified them itself: migration tasks_0008 copies them
into the tasks service's own ``credential`` table and announces the valid ones, so that
intake, notify and reporting accept them as soon as the relay has sent the events; and
``duban tokens announce`` announces every token again, for a copy made later."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, Engine, column, delete, insert, select, table

from services.intake.spec import SPEC as INTAKE
from services.tasks.spec import SPEC
from shared.contracts import Envelope, decode
from shared.contracts.tasks import TokenIssuedV1, TokenRevokedV1
from shared.db import make_engine, session_factory
from shared.identity.credentials import CREDENTIAL, SUBSCRIPTIONS, principal_for_hash
from shared.identity.principal import Role, Unauthorized
from shared.messaging.tables import OUTBOX
from shared.migrations import upgrade

API_TOKEN = table(
    "api_token",
    *(column(name) for name in ("id", "token_hash", "name", "role", "government_id", "unit")),
    column("leader"),
    column("units", JSON),
    column("created_at"),
    column("revoked_at"),
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tasks.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def migrated(url: str) -> Iterator[Engine]:
    """The tasks database at tasks_0007 with a valid and a revoked token, then upgraded."""
    engine = make_engine(url, "tasks")
    upgrade(engine, "tasks", SPEC.migrations_dir, "tasks_0007")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(API_TOKEN),
            [
                {"id": 1, "token_hash": _hash("old-oa"), "name": "OA", "role": "integration",
                 "government_id": "default", "unit": None, "leader": None,
                 "units": ["县财政局"], "created_at": now, "revoked_at": None},
                {"id": 2, "token_hash": _hash("gone"), "name": "旧令牌", "role": "unit",
                 "government_id": "default", "unit": "县住建局", "leader": None,
                 "units": [], "created_at": now, "revoked_at": now},
            ],
        )  # fmt: skip
    upgrade(engine, "tasks", SPEC.migrations_dir)
    yield engine
    engine.dispose()


def _outbox(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        payloads = conn.execute(select(OUTBOX.c.payload).order_by(OUTBOX.c.seq)).scalars()
        return [decode(Envelope.from_bytes(payload)) for payload in payloads]


def test_tokens_issued_before_are_copied_and_the_valid_ones_announced(migrated: Engine) -> None:
    with migrated.connect() as conn:
        copied = conn.execute(select(CREDENTIAL.c.token_id).order_by("token_id")).scalars()
        assert list(copied) == [1, 2], "every token copied, the revoked one too"
    assert _outbox(migrated) == [
        TokenIssuedV1(
            token_id=1,
            token_hash=_hash("old-oa"),
            name="OA",
            role="integration",
            government_id="default",
            units=["县财政局"],
        )
    ], "only the valid token is announced, never the token itself"
    with session_factory(migrated)() as session:
        principal = principal_for_hash(session, _hash("old-oa"))
        assert (principal.role, principal.units) == (Role.INTEGRATION, ("县财政局",))
        with pytest.raises(Unauthorized):
            principal_for_hash(session, _hash("gone"))


def test_the_command_announces_every_token_again(
    migrated: Engine, url: str, tmp_path: Path
) -> None:
    with migrated.begin() as conn:
        conn.execute(delete(OUTBOX))  # sent long ago, and the topic's history purged since
    env = {**os.environ, "DUBAN_DATA_DIR": str(tmp_path / "var"), "DUBAN_TASKS_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "duban", "tokens", "announce"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    events = _outbox(migrated)
    assert [(type(e), e.token_id) for e in events] == [  # type: ignore[attr-defined]
        (TokenIssuedV1, 1),
        (TokenIssuedV1, 2),
        (TokenRevokedV1, 2),
    ]
    copy = make_engine(f"sqlite:///{tmp_path / 'intake.db'}", "intake")  # a service made later
    try:
        upgrade(copy, "intake", INTAKE.migrations_dir)
        with session_factory(copy).begin() as session:
            for event in events:
                SUBSCRIPTIONS[event.TYPE](session, event)  # type: ignore[attr-defined]
        with session_factory(copy)() as session:
            assert principal_for_hash(session, _hash("old-oa")).name == "OA"
            with pytest.raises(Unauthorized):
                principal_for_hash(session, _hash("gone"))
    finally:
        copy.dispose()
