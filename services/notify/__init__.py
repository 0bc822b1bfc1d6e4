"""Notify: turns events and reminder requests into messages to the right people. Today it
records, for each newly registered task, one pending notice per unit; the channels (WeChat
Work, SMS, OA to-do) come in their own issue."""
