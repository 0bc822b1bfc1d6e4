"""Channels: the ways a message reaches a person (WeCom app message, WeCom group robot, SMS,
the unit's OA to-do list), each a plugin behind ``base.Channel``; a deployment enables the
ones it has (``DUBAN_NOTIFY_CHANNELS``, ``registry.py``)."""
