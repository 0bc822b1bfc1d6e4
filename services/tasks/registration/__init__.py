"""Taking in what intake publishes: documents with their reporting rounds, and tasks with
their assignments, milestones and indicators; and resolving a task's units again whenever
the directory changes."""
