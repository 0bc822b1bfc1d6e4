"""Tasks: owns every task from its definition until the bureau closes it. Today it takes in
``task.defined`` events and registers the tasks (``task.registered``); assignments, deadlines,
progress and supervision come in their own issue."""
