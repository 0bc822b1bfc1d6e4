"""What the simulator accepts: credentials, the member directory, approved signs and templates.

Every field has a development default so that ``duban run`` can mount the simulator with no
configuration at all; docs/simulators.md lists the defaults. A client configured with other
values is refused exactly as the real provider would refuse it (wrong secret, unknown key,
unapproved template), which is the point: the channel code is tested against the checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WeComApp:
    """One self-built app (自建应用): its agentid and secret; a token is only good for it."""

    agentid: int
    secret: str


@dataclass(frozen=True)
class SmsTemplate:
    """An approved SMS template. Aliyun names its variables (``${task}``); Tencent numbers them
    (``{1}``). The text is rendered into what the recipient would read."""

    text: str

    def aliyun_params(self) -> list[str]:
        return re.findall(r"\$\{(\w+)\}", self.text)

    def tencent_param_count(self) -> int:
        return len(set(re.findall(r"\{(\d+)\}", self.text)))


DEFAULT_MEMBERS = ("zhangsan", "lisi", "wangwu", "zhaoliu", "duchashi")

DEFAULT_ALIYUN_TEMPLATES = {
    "SMS_DUBAN_REMIND": SmsTemplate(
        "您有督办任务《${task}》将于${deadline}到期，请及时登录督办系统报送进展。"
    ),
    "SMS_DUBAN_URGE": SmsTemplate("【催办】任务《${task}》已逾期${days}个工作日，请尽快报送。"),
}

DEFAULT_TENCENT_TEMPLATES = {
    "1000001": SmsTemplate("您有督办任务《{1}》将于{2}到期，请及时登录督办系统报送进展。"),
    "1000002": SmsTemplate("【催办】任务《{1}》已逾期{2}个工作日，请尽快报送。"),
}


@dataclass(frozen=True)
class SimulatorConfig:
    """The credentials and limits the simulator holds its clients to."""

    # WeCom (企业微信 / 政务微信)
    wecom_corpid: str = "wwduban0000000001"
    wecom_apps: tuple[WeComApp, ...] = (WeComApp(1000002, "duban-dev-app-secret"),)
    wecom_members: tuple[str, ...] = DEFAULT_MEMBERS
    wecom_token_ttl_s: int = 7200
    wecom_member_per_minute: int = 30
    wecom_member_per_hour: int = 1000
    robot_keys: tuple[str, ...] = ("duban-dev-robot-key",)
    robot_per_minute: int = 20

    # Aliyun SMS (dysmsapi 2017-05-25)
    aliyun_access_key_id: str = "LTAIdubandev"
    aliyun_access_key_secret: str = "duban-dev-aliyun-secret"
    aliyun_sign_names: tuple[str, ...] = ("督办系统",)
    aliyun_templates: dict[str, SmsTemplate] = field(
        default_factory=lambda: dict(DEFAULT_ALIYUN_TEMPLATES)
    )
    aliyun_daily_limit_per_number: int = 50  # 短信通知: same sign+template, rolling 24 h

    # Tencent Cloud SMS (2021-01-11)
    tencent_secret_id: str = "AKIDdubandev"
    tencent_secret_key: str = "duban-dev-tencent-secret"
    tencent_sdk_app_id: str = "1400000001"
    tencent_sign_names: tuple[str, ...] = ("督办系统",)
    tencent_templates: dict[str, SmsTemplate] = field(
        default_factory=lambda: dict(DEFAULT_TENCENT_TEMPLATES)
    )
    tencent_host: str = "sms.tencentcloudapi.com"  # the Host the client signs
    tencent_daily_limit_per_number: int = 10
    tencent_same_content_interval_s: float = 0.0  # 0 = the console's 30 s rule switched off

    # Signed requests: how far a client's clock may be from ours (wall time, not the
    # control clock, because real clients sign with their own wall clock).
    signature_max_skew_s: int = 300
    aliyun_nonce_ttl_s: int = 900

    # OA 统一待办
    weaver_syscodes: tuple[str, ...] = ("duban",)
    seeyon_users: dict[str, str] = field(default_factory=lambda: {"duban-rest": "duban-dev-pass"})
    seeyon_register_codes: tuple[str, ...] = ("duban",)
    webhook_secret: str = "duban-dev-webhook-secret"

    # How long a "timeout" fault hangs when the control call does not say.
    default_hang_s: float = 2.0

    def wecom_secret_app(self, secret: str) -> WeComApp | None:
        return next((app for app in self.wecom_apps if app.secret == secret), None)
