"""The bus a deployment runs on, chosen by one setting (``DUBAN_BUS``): the in-process bus
(a SQLite log under the data directory) or Kafka. Application code only ever sees the
``Bus`` protocol; this is the one place that knows both implementations."""

from __future__ import annotations

from shared.config import Settings
from shared.messaging.bus import Bus
from shared.messaging.memory import MemoryBus


def create_bus(settings: Settings) -> Bus:
    if settings.bus == "kafka":
        # Imported here: the embedded default never loads kafka-python.
        from shared.messaging.kafka import KafkaBus

        return KafkaBus(
            settings.kafka_bootstrap,
            partitions=settings.kafka_partitions,
            replication=settings.kafka_replication,
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return MemoryBus(settings.data_dir / "bus.db", partitions=settings.memory_partitions)
