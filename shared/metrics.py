"""Prometheus metrics of the backbone, served at /metrics by every service."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS_PUBLISHED = Counter(
    "duban_events_published_total", "Events relayed from the outbox to the bus", ["service"]
)
EVENTS_HANDLED = Counter(
    "duban_events_handled_total",
    "Events handled by a consumer (first delivery only)",
    ["service", "type"],
)
EVENT_LAG = Histogram(
    "duban_event_lag_seconds",
    "From the producer's commit to the consumer's handler",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
EVENTS_PARKED = Counter(
    "duban_events_parked_total",
    "Events a consumer parked: failed (its own error) or waiting (behind one of its key)",
    ["service", "type", "reason"],
)
OUTBOX_PURGED = Counter(
    "duban_outbox_purged_total",
    "Published outbox rows deleted after the retention period",
    ["service"],
)
