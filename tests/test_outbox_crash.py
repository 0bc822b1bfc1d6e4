"""The process dies after the state commit and before the publish: after a restart the event
is published exactly once (on SQLite + in-process bus, and on PostgreSQL + Kafka)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from helpers import Collector, wait_until

from services.intake.spec import SPEC
from shared.buses import create_bus
from shared.config import Settings
from shared.contracts import topic_for
from shared.messaging.tables import OUTBOX
from shared.runtime import Runtime

# Runs in a child process: commit a published document (state + outbox rows), then die by
# SIGKILL before any relay could run. Prints the document id first.
CRASHING_WRITER = """
import os, signal, sys
from shared.config import Settings
from shared.service import ServiceRuntime
from shared.buses import create_bus
from services.intake.spec import SPEC
from services.intake.publishing import publish_document
from services.intake.service import DocumentIn, create_document

settings = Settings.model_validate_json(sys.argv[1])
intake = ServiceRuntime(SPEC, settings, create_bus(settings))
intake.migrate()
draft = DocumentIn.model_validate({"title": "某县2026年重点工作任务分解", "tasks": [
    {"number": "1", "text": "建成县城污水处理厂", "lead_units": ["县住建局"]},
    {"number": "2", "text": "新增就业3000人以上", "lead_units": ["县人社局"]}]})
with intake.sessions.begin() as session:
    document = create_document(session, draft, "督查室-测试")
    session.flush()
    publish_document(session, document.id, "督查室-测试")
print(document.id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def pending_outbox_ids(runtime: Runtime) -> list[str]:
    with runtime.services["intake"].engine.connect() as conn:
        rows = conn.execute(OUTBOX.select().where(OUTBOX.c.published_at.is_(None)))
        return [row.event_id for row in rows]


def test_a_crash_between_commit_and_publish_loses_nothing_and_duplicates_nothing(
    settings: Settings,
) -> None:
    child = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, settings.model_dump_json()],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert child.returncode == -9, child.stderr
    document_id = child.stdout.strip()
    assert document_id

    restarted = Runtime(settings, [SPEC])
    waiting = pending_outbox_ids(restarted)
    assert len(waiting) == 3, "two task.defined and one document.published wait in the outbox"

    bus = create_bus(settings)
    topic = topic_for("intake", settings.topic_prefix)
    bus.ensure_topics([topic])
    seen = Collector()
    watcher = bus.consumer(f"{settings.topic_prefix}.watcher", [topic], seen)
    watcher.start()
    try:
        time.sleep(1.0)
        assert seen.ids() == [], "nothing was published before the restart"
        restarted.start()
        wait_until(lambda: not pending_outbox_ids(restarted), what="the relay to catch up")
        seen.wait_for(3)
        restarted.stop()
        again = Runtime(settings, [SPEC])  # a second restart publishes nothing new
        again.start()
        time.sleep(1.5)
        again.stop()
    finally:
        watcher.stop()
        bus.close()
    assert sorted(seen.ids()) == sorted(waiting), "each waiting event published exactly once"
    types = sorted(e.type for e in seen.received)
    assert types == ["document.published", "task.defined", "task.defined"]
    assert {e.data["document_id"] for e in seen.received} == {document_id}
    assert json.loads(seen.received[0].to_bytes())["source"] == "intake"
