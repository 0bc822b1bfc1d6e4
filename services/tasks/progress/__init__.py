"""Progress reports (报送进展): a unit submits, by web page or from its OA system; the bureau
accepts or returns them. Each unit's latest figure is kept, and the task's own figure follows
one stated rule (``rules.task_percent``)."""
