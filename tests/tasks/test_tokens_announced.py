"""Tokens issued before every service verified them itself: migration tasks_0008 copies them
into the tasks service's own ``credential`` table and announces the valid ones, so that
intake, notify and reporting accept them as soon as the relay has sent the events."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, column, insert, select, table

from services.tasks.spec import SPEC
from shared.contracts import Envelope, decode
from shared.contracts.tasks import TokenIssuedV1
from shared.db import make_engine, session_factory
from shared.identity.credentials import CREDENTIAL, principal_for_hash
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


def test_tokens_issued_before_are_copied_and_the_valid_ones_announced(url: str) -> None:
    engine = make_engine(url, "tasks")
    try:
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

        with engine.connect() as conn:
            payloads = conn.execute(select(OUTBOX.c.payload)).scalars().all()
            copied = conn.execute(select(CREDENTIAL.c.token_id).order_by("token_id")).scalars()
            assert list(copied) == [1, 2], "every token copied, the revoked one too"
        events = [decode(Envelope.from_bytes(payload)) for payload in payloads]
        assert events == [
            TokenIssuedV1(
                token_id=1,
                token_hash=_hash("old-oa"),
                name="OA",
                role="integration",
                government_id="default",
                units=["县财政局"],
            )
        ], "only the valid token is announced, never the token itself"

        with session_factory(engine)() as session:
            principal = principal_for_hash(session, _hash("old-oa"))
            assert (principal.role, principal.units) == (Role.INTEGRATION, ("县财政局",))
            with pytest.raises(Unauthorized):
                principal_for_hash(session, _hash("gone"))
    finally:
        engine.dispose()
