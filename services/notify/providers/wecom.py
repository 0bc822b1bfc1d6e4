"""WeCom (企业微信 / 政务微信) app messages: ``gettoken`` and ``message/send``.

integrations.md §1.1–§1.4. The access token is cached per app until ``expires_in`` minus a
margin, fetched by one thread at a time (the others wait and use what it got), and fetched
again when WeCom says it is invalid or expired (40014/42001): one forced refresh, one replay.

Every send asks for WeCom's duplicate check (``enable_duplicate_check: 1``), our second guard
against double delivery: the same body within ``duplicate_check_interval`` is answered as a
success and not delivered again, so resending after a timeout is safe (``safe_to_resend``).
The body is built deterministically from the arguments, so a resend is the same body.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
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
from services.notify.providers.result import (
    RateLimit,
    SendResult,
    delivered,
    failed,
    retry,
)
from services.notify.providers.settings import ProviderSettings

log = logging.getLogger(__name__)

PROVIDER = "wecom_app"
TOKEN_CODES = {40014, 42001}  # invalid / expired access_token: refresh once, replay once
TRANSIENT = {-1: None, 45009: 60.0, 45033: 5.0}  # errcode -> retry after (s)

# Errors an operator must fix; they will not go away by retrying. Branch on errcode, never
# on errmsg (WeCom's advice).
CONFIG_ERRORS = {
    40001: "应用 Secret 不正确（40001），请核对 DUBAN_NOTIFY_WECOM_CORPSECRET",
    40013: "企业 ID 不正确（40013），请核对 DUBAN_NOTIFY_WECOM_CORPID",
    41002: "未配置企业 ID（41002），请设置 DUBAN_NOTIFY_WECOM_CORPID",
    41004: "未配置应用 Secret（41004），请设置 DUBAN_NOTIFY_WECOM_CORPSECRET",
    40056: "应用 AgentId 不正确（40056），请核对 DUBAN_NOTIFY_WECOM_AGENTID",
    48002: "该应用没有发送消息的接口权限（48002），请在管理后台检查应用权限",
    60011: "应用无权访问这些成员（60011），请在管理后台把接收人加入应用的可见范围",
    60020: (
        "企业微信拒绝了本服务器的出口 IP（60020）：请管理员在该应用的“企业可信IP”中"
        "加入本服务器的出口 IP"
    ),
    40008: "消息类型不合法（40008）",
    44004: "消息内容为空（44004）",
    41016: "卡片消息缺少标题、描述或链接（41016）",
    45002: "消息内容超过长度限制（45002），请精简内容",
    47001: "消息格式不正确（47001）",
}


class GettokenFailed(Exception):
    def __init__(self, result: SendResult) -> None:
        super().__init__(result.message)
        self.result = result


class AccessTokenCache:
    """One app's access token. ``token()`` returns the cached one while it is fresh; else the
    calling thread fetches a new one while holding the lock, so that only one fetch is in
    flight and the threads that waited use its token. ``token(stale=t)`` is the forced
    refresh after WeCom refused ``t``: if another thread has already replaced ``t``, its
    token is used without a second fetch."""

    def __init__(
        self,
        fetch: Callable[[], tuple[str, float]],
        *,
        margin_s: float = 300,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._margin = margin_s
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def token(self, *, stale: str | None = None) -> str:
        with self._lock:
            current = self._token
            if current is not None and current != stale and self._clock() < self._refresh_at:
                return current
            token, expires_in = self._fetch()
            self._token = token
            # A token that has less than the margin left (WeCom hands out the same token while
            # it lives) is used for half of what is left, not refetched on every call.
            self._refresh_at = self._clock() + max(expires_in - self._margin, expires_in / 2)
            return token

    def forget(self) -> None:
        with self._lock:
            self._token = None


class WeComApp:
    """Sends app messages (textcard or markdown) to member userids of one 自建应用."""

    provider = PROVIDER
    safe_to_resend = True  # duplicate check always on: a resend within the window is dropped
    rate_limits = (
        RateLimit("recipient", 30, 60, "企业微信：同一应用每成员每分钟 30 条，超出静默丢弃"),
        RateLimit("recipient", 1000, 3600, "企业微信：同一应用每成员每小时 1000 条，超出静默丢弃"),
    )

    def __init__(
        self,
        *,
        corpid: str,
        corpsecret: SecretStr | str,
        agentid: int,
        base_url: str = "https://qyapi.weixin.qq.com",
        duplicate_check_interval_s: int = 1800,
        token_refresh_margin_s: float = 300,
        timeouts: Timeouts | None = None,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= duplicate_check_interval_s <= 14400:
            raise ValueError("duplicate_check_interval_s must be 1..14400 (WeCom's maximum)")
        self._corpid = corpid
        self._secret = corpsecret if isinstance(corpsecret, SecretStr) else SecretStr(corpsecret)
        self.agentid = agentid
        self.duplicate_check_interval_s = duplicate_check_interval_s
        self._http = client or make_client(timeouts or Timeouts(), base_url.rstrip("/"))
        self._tokens = AccessTokenCache(
            self._gettoken, margin_s=token_refresh_margin_s, clock=clock
        )

    @classmethod
    def from_settings(cls, settings: ProviderSettings) -> WeComApp | None:
        """None when the app is not configured."""
        if not (settings.wecom_corpid and settings.wecom_corpsecret and settings.wecom_agentid):
            return None
        return cls(
            corpid=settings.wecom_corpid,
            corpsecret=settings.wecom_corpsecret,
            agentid=settings.wecom_agentid,
            base_url=settings.wecom_base_url,
            duplicate_check_interval_s=settings.wecom_duplicate_check_interval_s,
            token_refresh_margin_s=settings.wecom_token_refresh_margin_s,
            timeouts=settings.timeouts,
        )

    def close(self) -> None:
        self._http.close()

    # --- messages -----------------------------------------------------------------------------

    def send_textcard(
        self,
        touser: Sequence[str],
        *,
        title: str,
        description: str,
        url: str,
        btntxt: str = "详情",
    ) -> SendResult:
        card = {"title": title, "description": description, "url": url, "btntxt": btntxt}
        return self._send(touser, "textcard", card)

    def send_markdown(self, touser: Sequence[str], content: str) -> SendResult:
        return self._send(touser, "markdown", {"content": content})

    def message_body(self, touser: Sequence[str], msgtype: str, part: dict[str, Any]) -> dict:
        """The exact JSON sent: the same arguments give the same body, which is what WeCom's
        duplicate check compares."""
        return {
            "touser": "|".join(touser),
            "msgtype": msgtype,
            "agentid": self.agentid,
            msgtype: part,
            "enable_duplicate_check": 1,
            "duplicate_check_interval": self.duplicate_check_interval_s,
        }

    def _send(self, touser: Sequence[str], msgtype: str, part: dict[str, Any]) -> SendResult:
        users = [u for u in touser if u]
        if not users:
            return failed(PROVIDER, None, "没有接收人")
        if len(users) > 1000:
            return failed(PROVIDER, None, "接收人超过 1000 个，请分批发送")
        body = self.message_body(users, msgtype, part)
        result = self._send_with_token(body, users)
        log.info(
            "wecom_app message/send: status=%s code=%s recipients=%d invalid=%d",
            result.status,
            result.code,
            len(users),
            len(result.invalid_recipients),
        )
        return result

    def _send_with_token(self, body: dict[str, Any], users: list[str]) -> SendResult:
        try:
            token = self._tokens.token()
            answer = self._post(token, body)
            if isinstance(answer, dict) and answer.get("errcode") in TOKEN_CODES:
                token = self._tokens.token(stale=token)
                answer = self._post(token, body)
                if isinstance(answer, dict) and answer.get("errcode") in TOKEN_CODES:
                    code = str(answer.get("errcode"))
                    return retry(PROVIDER, code, f"access_token 刷新后仍被拒绝（{code}），稍后重试")
        except GettokenFailed as exc:
            return exc.result
        if isinstance(answer, SendResult):
            return answer
        return self._map(answer, users)

    def _post(self, token: str, body: dict[str, Any]) -> dict[str, Any] | SendResult:
        what = "企业微信发送应用消息"
        try:
            response = self._http.post(
                "/cgi-bin/message/send", params={"access_token": token}, json=body
            )
        except httpx.HTTPError as exc:
            return transport_failure(PROVIDER, what, exc)
        if (bad := status_failure(PROVIDER, what, response, safe_to_resend=True)) is not None:
            return bad
        answer = json_of(response)
        if not isinstance(answer, dict) or "errcode" not in answer:
            # A 2xx without the answer WeCom gives: something between us changed it. Resending
            # is safe with the duplicate check, so it is a retry rather than a mystery.
            return retry(
                PROVIDER, f"HTTP {response.status_code}", f"{what}：答复无法识别，稍后重试"
            )
        return answer

    def _map(self, answer: dict[str, Any], users: list[str]) -> SendResult:
        code = int(answer.get("errcode", -1))
        errmsg = str(answer.get("errmsg", ""))
        returned = [
            u
            for field in ("invaliduser", "unlicenseduser")
            for u in str(answer.get(field) or "").split("|")
            if u
        ]
        if code == 0:
            invalid = _given_names(users, returned)
            msgid = answer.get("msgid") or None
            if invalid:
                note = (
                    f"已发送；{len(invalid)} 个接收人无效或未激活（不在应用可见范围或账号不存在）"
                )
                return delivered(PROVIDER, msgid, note, invalid)
            return delivered(PROVIDER, msgid, "已发送")
        if code == 81013:
            invalid = _given_names(users, returned) or tuple(users)
            return failed(
                PROVIDER,
                "81013",
                "接收人全部无效（81013）：账号不存在或不在应用可见范围内",
                invalid,
            )
        if code in TRANSIENT:
            return retry(
                PROVIDER, str(code), f"企业微信繁忙或限频（{code}），稍后重试", TRANSIENT[code]
            )
        if code in CONFIG_ERRORS:
            return failed(PROVIDER, str(code), "企业微信：" + CONFIG_ERRORS[code])
        return failed(PROVIDER, str(code), f"企业微信返回错误 {code}（{errmsg[:200]}），消息未发出")

    # --- gettoken -----------------------------------------------------------------------------

    def _gettoken(self) -> tuple[str, float]:
        what = "企业微信获取 access_token"
        try:
            response = self._http.get(
                "/cgi-bin/gettoken",
                params={"corpid": self._corpid, "corpsecret": self._secret.get_secret_value()},
            )
        except httpx.HTTPError as exc:
            result = transport_failure(PROVIDER, what, exc)
            if result.status == "in_doubt":  # no message was sent: only the token is unknown
                result = retry(PROVIDER, result.code, f"{what}：超时未答复，消息未发出，稍后重试")
            raise GettokenFailed(result) from None
        if (bad := status_failure(PROVIDER, what, response, safe_to_resend=True)) is not None:
            raise GettokenFailed(bad)
        answer = json_of(response)
        if not isinstance(answer, dict):
            raise GettokenFailed(retry(PROVIDER, None, f"{what}：答复无法识别，稍后重试"))
        code = int(answer.get("errcode", 0))
        if code == 0 and answer.get("access_token"):
            log.info("wecom_app gettoken: new token, expires_in=%s", answer.get("expires_in"))
            return str(answer["access_token"]), float(answer.get("expires_in", 7200))
        if code in TRANSIENT:
            raise GettokenFailed(
                retry(
                    PROVIDER, str(code), f"{what}：繁忙或限频（{code}），稍后重试", TRANSIENT[code]
                )
            )
        message = CONFIG_ERRORS.get(code, f"获取 access_token 失败（{code}）")
        raise GettokenFailed(failed(PROVIDER, str(code), "企业微信：" + message))


def _given_names(users: list[str], returned: list[str]) -> tuple[str, ...]:
    """The userids WeCom reported, as we gave them (it answers them lower-cased)."""
    low = {u.lower() for u in returned}
    ours = [u for u in users if u.lower() in low]
    known = {u.lower() for u in ours}
    return tuple(ours + [u for u in returned if u not in known])
