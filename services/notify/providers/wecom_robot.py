"""WeCom group robot (群机器人, now 消息推送): one webhook key per group chat.

integrations.md §1.5. The key is the only credential (it sits in the URL's query, which is
why httpx's request log line loses its query, see ``http.py``). A robot takes 20 messages a
minute and answers the 21st with 45009; the engine's limiter keeps below that (declared in
``rate_limits``), and a 45009 that still comes back is a retry after at least 60 s. There is
no duplicate check: a resend is a second message (``safe_to_resend = False``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import SecretStr

from services.notify.providers.http import (
    Timeouts,
    json_of,
    make_client,
    status_failure,
    transport_failure,
)
from services.notify.providers.result import RateLimit, SendResult, delivered, failed, retry
from services.notify.providers.settings import ProviderSettings
from shared.logs import mask_phone

log = logging.getLogger(__name__)

PROVIDER = "wecom_robot"
TEXT_MAX_BYTES = 2048
MARKDOWN_MAX_BYTES = 4096

ERRORS = {
    93000: "群机器人 webhook key 无效或机器人已被移出群（93000），请在群里重新添加机器人并更新 key",
    40008: "消息类型不合法（40008）",
    44004: "消息内容为空（44004）",
    45002: "消息内容超过长度限制（45002），请精简内容",
}


class WeComRobot:
    provider = PROVIDER
    safe_to_resend = False
    rate_limits = (
        RateLimit("channel", 20, 60, "企业微信：每个机器人每分钟 20 条，超出答复 45009"),
    )

    def __init__(
        self,
        *,
        key: SecretStr | str,
        base_url: str = "https://qyapi.weixin.qq.com",
        timeouts: Timeouts | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self._key = key if isinstance(key, SecretStr) else SecretStr(key)
        self._http = client or make_client(timeouts or Timeouts(), base_url.rstrip("/"))

    @classmethod
    def from_settings(cls, settings: ProviderSettings) -> WeComRobot | None:
        if settings.wecom_robot_key is None:
            return None
        return cls(
            key=settings.wecom_robot_key,
            base_url=settings.wecom_robot_base_url or settings.wecom_base_url,
            timeouts=settings.timeouts,
        )

    def close(self) -> None:
        self._http.close()

    def send_text(
        self,
        content: str,
        *,
        mentioned_mobile_list: Sequence[str] = (),
        mentioned_list: Sequence[str] = (),
    ) -> SendResult:
        """``mentioned_mobile_list``: phone numbers to @ (``"@all"`` for everyone);
        ``mentioned_list``: userids to @."""
        if len(content.encode()) > TEXT_MAX_BYTES:
            return failed(PROVIDER, None, f"文本超过 {TEXT_MAX_BYTES} 字节，请精简内容")
        text: dict[str, Any] = {"content": content}
        if mentioned_list:
            text["mentioned_list"] = list(mentioned_list)
        if mentioned_mobile_list:
            text["mentioned_mobile_list"] = list(mentioned_mobile_list)
        return self._send({"msgtype": "text", "text": text}, len(mentioned_mobile_list))

    def send_markdown(self, content: str) -> SendResult:
        if len(content.encode()) > MARKDOWN_MAX_BYTES:
            return failed(PROVIDER, None, f"markdown 超过 {MARKDOWN_MAX_BYTES} 字节，请精简内容")
        return self._send({"msgtype": "markdown", "markdown": {"content": content}}, 0)

    def _send(self, body: dict[str, Any], mentions: int) -> SendResult:
        result = self._post(body)
        log.info(
            "wecom_robot webhook/send: status=%s code=%s mentions=%d",
            result.status,
            result.code,
            mentions,
        )
        return result

    def _post(self, body: dict[str, Any]) -> SendResult:
        what = "企业微信群机器人发送"
        try:
            response = self._http.post(
                "/cgi-bin/webhook/send", params={"key": self._key.get_secret_value()}, json=body
            )
        except httpx.HTTPError as exc:
            return transport_failure(PROVIDER, what, exc)
        if (bad := status_failure(PROVIDER, what, response, safe_to_resend=False)) is not None:
            return bad
        answer = json_of(response)
        if not isinstance(answer, dict) or "errcode" not in answer:
            return failed(PROVIDER, f"HTTP {response.status_code}", f"{what}：答复无法识别")
        code = int(answer["errcode"])
        if code == 0:
            return delivered(PROVIDER, None, "已发送到群")
        if code in (45009, 45033):
            return retry(PROVIDER, str(code), f"群机器人限频（{code}），至少 60 秒后重试", 60.0)
        if code == -1:
            return retry(PROVIDER, "-1", "企业微信繁忙（-1），稍后重试")
        message = ERRORS.get(
            code, f"群机器人返回错误 {code}（{mask_phone(str(answer.get('errmsg', '')))[:200]}）"
        )
        return failed(PROVIDER, str(code), message)
