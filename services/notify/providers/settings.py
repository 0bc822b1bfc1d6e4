"""The provider clients' settings, ``DUBAN_NOTIFY_*`` environment variables (docs in
docs/notify-providers.md). Secrets are ``SecretStr``: they print as ``**********`` and are
read with ``get_secret_value()`` only where a request is signed or sent. A provider whose
credentials are unset is simply not built (:func:`services.notify.providers.build`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notify.providers.http import Timeouts


class SmsTemplate(BaseModel):
    """One reminder kind's approved templates: the Aliyun ``TemplateCode``, the Tencent
    ``TemplateId``, and the names of our parameters in the order of Tencent's ``{1}``,
    ``{2}`` … (Aliyun gets them by name, as ``${name}``)."""

    aliyun: str | None = None
    tencent: str | None = None
    params: list[str] = Field(default_factory=list)


class OaSystem(BaseModel):
    """One OA system that takes our to-dos, and the units whose people use it.

    ``base_url``: 泛微 the e-cology root (``/rest/ofs/…`` is appended), 致远 the server root
    (``/seeyon/rest/…`` is appended), webhook the full URL to POST to. ``units``: our unit
    ids it serves; ``"*"`` serves every unit no other system names."""

    kind: Literal["weaver", "seeyon", "webhook"]
    base_url: str
    units: list[str] = Field(default_factory=list)
    sender: str = "督办系统"  # creator / senderName shown in the OA
    syscode: str | None = None  # 泛微: the registered 异构系统 code
    register_code: str | None = None  # 致远: the registered third-party system code
    rest_user: str | None = None  # 致远 REST user
    rest_password: SecretStr | None = None  # 致远 REST password
    secret: SecretStr | None = None  # webhook HMAC secret

    @model_validator(mode="after")
    def has_what_its_kind_needs(self) -> OaSystem:
        needs = {
            "weaver": ("syscode",),
            "seeyon": ("register_code", "rest_user", "rest_password"),
            "webhook": ("secret",),
        }[self.kind]
        missing = [name for name in needs if not getattr(self, name)]
        if missing:
            raise ValueError(f"OA system of kind {self.kind} needs {', '.join(missing)}")
        return self


class ProviderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUBAN_NOTIFY_", extra="ignore")

    # HTTP
    connect_timeout_s: float = Field(3.0, gt=0, description="TCP/TLS connect timeout, seconds")
    read_timeout_s: float = Field(
        10.0, gt=0, description="answer timeout, seconds; a timeout after sending is in_doubt"
    )

    # WeCom app messages (企业微信 / 政务微信 自建应用)
    wecom_base_url: str = Field(
        "https://qyapi.weixin.qq.com", description="API root; 政务微信 runs its own"
    )
    wecom_corpid: str | None = Field(None, description="企业ID (corpid)")
    wecom_corpsecret: SecretStr | None = Field(None, description="the app's Secret")
    wecom_agentid: int | None = Field(None, description="the app's AgentId")
    wecom_duplicate_check_interval_s: int = Field(
        1800, ge=1, le=14400, description="WeCom's duplicate-check window (max 4 h)"
    )
    wecom_token_refresh_margin_s: float = Field(
        300, ge=0, description="refresh the access_token this long before it expires"
    )

    # WeCom group robot (群机器人 / 消息推送)
    wecom_robot_base_url: str | None = Field(None, description="unset = wecom_base_url")
    wecom_robot_key: SecretStr | None = Field(None, description="the webhook key")

    # SMS
    sms_providers: list[Literal["aliyun", "tencent"]] = Field(
        default_factory=lambda: ["aliyun", "tencent"],
        description="failover order; providers without credentials are skipped",
    )
    sms_templates: dict[str, SmsTemplate] = Field(
        default_factory=dict, description="reminder kind -> templates and parameter order (JSON)"
    )
    sms_daily_cap_per_number: int = Field(
        10, ge=1, description="our own cap of SMS to one number a day (the engine counts)"
    )
    aliyun_endpoint: str = Field("https://dysmsapi.aliyuncs.com/")
    aliyun_region: str = Field("cn-hangzhou")
    aliyun_access_key_id: str | None = None
    aliyun_access_key_secret: SecretStr | None = None
    aliyun_sign_name: str | None = Field(None, description="approved 短信签名")
    tencent_endpoint: str = Field("https://sms.tencentcloudapi.com/")
    tencent_sign_host: str = Field(
        "sms.tencentcloudapi.com", description="the Host the TC3 signature covers"
    )
    tencent_region: str = Field("ap-guangzhou")
    tencent_secret_id: str | None = None
    tencent_secret_key: SecretStr | None = None
    tencent_sdk_app_id: str | None = Field(None, description="SmsSdkAppId")
    tencent_sign_name: str | None = Field(None, description="approved 短信签名")

    # OA to-do
    oa_systems: dict[str, OaSystem] = Field(
        default_factory=dict, description="name -> OA system and the units it serves (JSON)"
    )

    @field_validator(
        "wecom_corpsecret",
        "wecom_robot_key",
        "aliyun_access_key_secret",
        "tencent_secret_key",
        "wecom_corpid",
        "aliyun_access_key_id",
        "tencent_secret_id",
        mode="before",
    )
    @classmethod
    def empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def timeouts(self) -> Timeouts:
        return Timeouts(self.connect_timeout_s, self.read_timeout_s)
