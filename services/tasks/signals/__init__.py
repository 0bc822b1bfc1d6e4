"""The red / yellow / green signal of a task (红黄绿灯): the rule (``rules``, pure), the facts
it needs read in one query for one task or all of them (``facts``), and keeping every task's
signal current (``refresh``)."""
