"""Which channels exist and which a deployment enables.

A channel plugin is a module with a factory ``(NotifySettings) -> Channel`` that reads its
own settings (secrets from the environment, never logged). Registering one is one line in
``PLUGINS``: its name and where its factory lives. It is imported only when a deployment
enables it (``DUBAN_NOTIFY_CHANNELS=wecom_app,sms``), so an unused channel's dependencies
and settings are never needed. Tests pass their channels to the sender directly."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from services.notify.channels.base import Channel
from services.notify.settings import NotifySettings

ChannelFactory = Callable[[NotifySettings], Channel]

# name → "module:factory": a channel is one line here.
PLUGINS: dict[str, str] = {
    "wecom_app": "services.notify.channels.providers:wecom_app",
    "wecom_robot": "services.notify.channels.providers:wecom_robot",
    "sms": "services.notify.channels.providers:sms",
    "oa_todo": "services.notify.channels.providers:oa_todo",
}


class UnknownChannel(ValueError):
    pass


def factory(name: str) -> ChannelFactory:
    try:
        module_name, _, attribute = PLUGINS[name].partition(":")
    except KeyError:
        known = "、".join(sorted(PLUGINS)) or "无"
        raise UnknownChannel(f"未知的发送渠道“{name}”（已注册：{known}）") from None
    return getattr(importlib.import_module(module_name), attribute)


def build_channels(settings: NotifySettings) -> dict[str, Channel]:
    """The enabled channels, by name, in the deployment's default order of preference."""
    channels = {}
    for name in settings.channel_names:
        channel = factory(name)(settings)
        if channel.name != name:
            raise UnknownChannel(f"渠道“{name}”的实现自称“{channel.name}”")
        channels[name] = channel
    return channels
