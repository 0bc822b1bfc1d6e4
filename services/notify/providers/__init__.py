"""Provider clients the notify channels wrap: WeCom app messages and group robot, Aliyun and
Tencent SMS (with ordered failover), and OA to-dos (泛微 E9, 致远, our signed webhook).

Sync httpx, one client per provider, called from the engine's worker threads. Every send
answers a provider-neutral :class:`SendResult`; each client declares ``safe_to_resend`` and
its ``rate_limits``. docs/notify-providers.md has the settings and the mapping tables.
"""

from services.notify.providers.aliyun import AliyunSms
from services.notify.providers.http import Timeouts
from services.notify.providers.oa import Todo, TodoClient, todo_id
from services.notify.providers.oa_webhook import WebhookTodo
from services.notify.providers.registry import OaDirectory, Providers, build
from services.notify.providers.result import RateLimit, SendResult, Status
from services.notify.providers.seeyon import SeeyonTodo
from services.notify.providers.settings import OaSystem, ProviderSettings, SmsTemplate
from services.notify.providers.sms import (
    FailoverSms,
    InvalidPhone,
    SmsMessage,
    SmsProvider,
    normalize_phone,
)
from services.notify.providers.tencent import TencentSms
from services.notify.providers.weaver import WeaverTodo
from services.notify.providers.wecom import WeComApp
from services.notify.providers.wecom_robot import WeComRobot

__all__ = [
    "AliyunSms",
    "FailoverSms",
    "InvalidPhone",
    "OaDirectory",
    "OaSystem",
    "ProviderSettings",
    "Providers",
    "RateLimit",
    "SeeyonTodo",
    "SendResult",
    "SmsMessage",
    "SmsProvider",
    "SmsTemplate",
    "Status",
    "TencentSms",
    "Timeouts",
    "Todo",
    "TodoClient",
    "WeComApp",
    "WeComRobot",
    "WeaverTodo",
    "WebhookTodo",
    "build",
    "normalize_phone",
    "todo_id",
]
