"""Reporting: follows every event and keeps the supervision views. Today it keeps one row per
registered task and an overview; ledgers, circulars and the dashboard come in their own issue."""
