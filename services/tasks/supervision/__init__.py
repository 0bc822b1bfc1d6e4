"""The bureau's supervision actions on a task: 延期申请 and its decision, adjusting a deadline
(reason required), 催办 (and the escalations the scheduler makes), exempting a task from
reminders."""
