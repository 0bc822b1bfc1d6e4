"""A failed statement's error names the statement, never its values: errors are logged and
kept with parked events, and the values may be a person's name or phone number."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy.exc import IntegrityError

from shared.db import make_engine

PHONE = "13912345678"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'e.db'}"
    return request.getfixturevalue("pg_url")


def test_a_failed_statement_does_not_echo_its_parameters(url: str) -> None:
    engine = make_engine(url, "errors")
    contact = Table(
        "contact", MetaData(), Column("id", Integer, primary_key=True), Column("mobile", String(20))
    )
    contact.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(contact).values(id=1, mobile=PHONE))
    with pytest.raises(IntegrityError) as failed, engine.begin() as conn:
        conn.execute(insert(contact).values(id=1, mobile=PHONE))
    assert "INSERT INTO" in str(failed.value)
    assert PHONE not in str(failed.value)
    engine.dispose()
