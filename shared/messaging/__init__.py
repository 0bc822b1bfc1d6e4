"""The event backbone: a bus interface with two implementations (Kafka, in-process), the
transactional outbox that feeds it and the inbox that makes every consumer idempotent."""
