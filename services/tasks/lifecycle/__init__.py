"""A task and its life: the task with its assignments, milestones and indicators (the
aggregate every other concept reads), its status (签收/退回, 改派, 办结申请 and 销号,
暂停/恢复), who may see it, and reading it for the API."""
