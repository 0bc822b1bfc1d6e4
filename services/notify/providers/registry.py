"""Building the clients from the settings: the ones whose credentials are configured.

``build(settings)`` gives a :class:`Providers` with ``wecom_app``, ``wecom_robot`` and ``sms``
(None when not configured) and ``oa``, the :class:`OaDirectory` that picks a unit's OA
system. Each client holds one ``httpx.Client``; ``Providers.close()`` closes them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from services.notify.providers.aliyun import AliyunSms
from services.notify.providers.oa import TodoClient
from services.notify.providers.oa_webhook import WebhookTodo
from services.notify.providers.seeyon import SeeyonTodo
from services.notify.providers.settings import OaSystem, ProviderSettings
from services.notify.providers.sms import FailoverSms, SmsProvider
from services.notify.providers.tencent import TencentSms
from services.notify.providers.weaver import WeaverTodo
from services.notify.providers.wecom import WeComApp
from services.notify.providers.wecom_robot import WeComRobot


class OaDirectory:
    """Which OA system takes the to-dos of which unit: each unit named by at most one
    system; a system listing ``"*"`` takes every unit no other system names."""

    def __init__(self, systems: Mapping[str, TodoClient], units: Mapping[str, list[str]]):
        self.systems = dict(systems)
        self._by_unit: dict[str, str] = {}
        self._default: str | None = None
        for name, served in units.items():
            for unit in served:
                if unit == "*":
                    if self._default is not None:
                        raise ValueError(f"OA systems {self._default} and {name} both serve '*'")
                    self._default = name
                elif unit in self._by_unit:
                    raise ValueError(
                        f"unit {unit} is served by two OA systems: {self._by_unit[unit]}, {name}"
                    )
                else:
                    self._by_unit[unit] = name

    def system_for(self, unit_id: str) -> str | None:
        return self._by_unit.get(unit_id, self._default)

    def for_unit(self, unit_id: str) -> TodoClient | None:
        """The client of the unit's OA, or None when the unit has none (no OA channel)."""
        name = self.system_for(unit_id)
        return self.systems[name] if name is not None else None

    def close(self) -> None:
        for client in self.systems.values():
            client.close()


def oa_client(system: OaSystem, settings: ProviderSettings) -> TodoClient:
    timeouts = settings.timeouts
    if system.kind == "weaver":
        assert system.syscode
        return WeaverTodo(
            base_url=system.base_url,
            syscode=system.syscode,
            sender=system.sender,
            timeouts=timeouts,
        )
    if system.kind == "seeyon":
        assert system.rest_user and system.rest_password and system.register_code
        return SeeyonTodo(
            base_url=system.base_url,
            rest_user=system.rest_user,
            rest_password=system.rest_password,
            register_code=system.register_code,
            sender=system.sender,
            timeouts=timeouts,
        )
    assert system.secret
    return WebhookTodo(url=system.base_url, secret=system.secret, timeouts=timeouts)


def sms_from_settings(settings: ProviderSettings) -> FailoverSms | None:
    makers = {"aliyun": AliyunSms.from_settings, "tencent": TencentSms.from_settings}
    chain: list[SmsProvider] = []
    for name in settings.sms_providers:
        provider = makers[name](settings)
        if provider is not None:
            chain.append(provider)
    if not chain:
        return None
    return FailoverSms(chain, daily_cap_per_number=settings.sms_daily_cap_per_number)


@dataclass
class Providers:
    wecom_app: WeComApp | None
    wecom_robot: WeComRobot | None
    sms: FailoverSms | None
    oa: OaDirectory = field(default_factory=lambda: OaDirectory({}, {}))

    def close(self) -> None:
        for client in (self.wecom_app, self.wecom_robot, self.sms):
            if client is not None:
                client.close()
        self.oa.close()


def build(settings: ProviderSettings | None = None) -> Providers:
    settings = settings or ProviderSettings()
    systems = {name: oa_client(system, settings) for name, system in settings.oa_systems.items()}
    units = {name: system.units for name, system in settings.oa_systems.items()}
    return Providers(
        wecom_app=WeComApp.from_settings(settings),
        wecom_robot=WeComRobot.from_settings(settings),
        sms=sms_from_settings(settings),
        oa=OaDirectory(systems, units),
    )
