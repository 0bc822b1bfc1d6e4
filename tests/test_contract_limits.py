"""The contracts' bounds and the consumers' columns cannot drift apart.

Every consumer is handed the largest events its contracts allow (every string at its bound)
and must store them: PostgreSQL refuses an over-long value outright, and on SQLite the test
measures every String column the consumer wrote against its declared length. Every string
of every contract is bounded, events are built validated, and the producers' keys fit the
outbox."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import as_records
from pydantic import BaseModel
from sqlalchemy import String, func, select

from duban.services import SERVICE_NAMES, load_spec
from shared.config import Settings
from shared.contracts import EVENTS, Event, contract
from shared.contracts.intake import DocumentPublishedV1, TaskDefinedV1
from shared.contracts.tasks import TaskUrgedV1
from shared.messaging.outbox import outbox_row
from shared.messaging.tables import INBOX, OUTBOX
from shared.service import ServiceRuntime

REPO = Path(__file__).resolve().parent.parent
FIRST = (DocumentPublishedV1, TaskDefinedV1)  # a task exists before the events about it
ORDER = [*FIRST, *(e for e in EVENTS if e not in FIRST)]
# Values the consumers act on rather than store as given: notify owes notices for 催办 only.
MEANINGFUL: dict[type[Event], dict[str, Any]] = {TaskUrgedV1: {"kind": "urge"}}


def _value(schema: dict[str, Any], defs: dict[str, Any], name: str, index: int = 0) -> Any:
    """The largest value a field's schema allows; items of a list differ from each other."""
    if "anyOf" in schema:
        present = next(s for s in schema["anyOf"] if s.get("type") != "null")
        return _value(present, defs, name, index)
    if "$ref" in schema:
        return _object(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "array":
        return [_value(schema["items"], defs, name, i) for i in range(2)]
    if kind == "string":
        dated = {"date": "2026-06-30", "date-time": "2026-06-30T08:00:00+08:00"}
        if schema.get("format") in dated:
            return dated[schema["format"]]
        bound = schema.get("maxLength")
        assert bound, f"the string {name} states no bound"
        return (f"{name}{index}-" + "字" * bound)[:bound]
    if kind == "integer":
        return schema.get("maximum", schema.get("minimum", 1))
    return {"number": 1.5, "boolean": False}[kind]


def _object(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    return {name: _value(prop, defs, name) for name, prop in schema["properties"].items()}


def largest(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    return _object(schema, schema.get("$defs", {}))


def largest_event(event: type[Event]) -> Event:
    return event.model_validate({**largest(event), **MEANINGFUL.get(event, {})})


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.TYPE)
def test_every_string_of_every_contract_states_its_bound(event: type[Event]) -> None:
    assert largest_event(event).key()


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_consumer_stores_the_largest_events_its_contracts_allow(
    service: str, database_url: str | None, tmp_path: Path
) -> None:
    spec = load_spec(service)
    runtime = ServiceRuntime(spec, Settings(data_dir=tmp_path, database_url=database_url), None)  # type: ignore[arg-type]
    runtime.migrate()
    try:
        events = [e for e in ORDER if e.TYPE in spec.subscriptions]
        for event in events:
            runtime.subscriber(as_records(largest_event(event).envelope()))
        with runtime.sessions() as session:
            assert session.scalar(select(func.count()).select_from(INBOX)) == len(events)
            overflow = [
                f"{table.name}.{column.name}: {longest} > {column.type.length}"
                for table in spec.metadata.sorted_tables
                for column in table.columns
                if isinstance(column.type, String) and column.type.length
                for longest in [session.scalar(select(func.max(func.length(column))))]
                if longest and longest > column.type.length
            ]
        assert overflow == [], f"{service} stores more than its columns declare"
    finally:
        runtime.dispose()


@pytest.mark.parametrize(
    "event",
    EVENTS,
    ids=lambda e: e.TYPE,
)
def test_the_largest_key_of_every_event_fits_the_outbox(event: type[Event]) -> None:
    row = outbox_row(largest_event(event), datetime.now(UTC))
    assert len(row["key"]) <= OUTBOX.c.key.type.length
    assert len(row["type"]) <= OUTBOX.c.type.type.length
    assert contract(row["type"], row["version"]) is event


def test_events_are_built_validated() -> None:
    """``model_construct`` skips validation: an event built with it would reach the outbox
    with whatever values it was given, bounds or not."""
    sources = [*REPO.glob("services/**/*.py"), *REPO.glob("shared/**/*.py")]
    unvalidated = [p for p in sources if re.search(r"\bmodel_construct\(", p.read_text())]
    assert unvalidated == []
