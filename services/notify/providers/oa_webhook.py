"""Our own generic to-do webhook, for an OA (or portal) that takes a signed push.

``POST <url>`` with ``{"event": "todo.created", "todo_id", "receiver", "title", "url"}`` or
``{"event": "todo.done", "todo_id", "receiver"}`` and two headers: ``X-Duban-Timestamp``
(unix seconds) and ``X-Duban-Signature``, the lower-case hex HMAC-SHA256 of
``<timestamp>.<raw body>`` with the shared secret. The receiver should refuse a timestamp more
than 300 s off and treat the same ``todo_id`` as the same to-do (we resend with it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
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
from services.notify.providers.oa import Todo, todo_id
from services.notify.providers.result import RateLimit, SendResult, delivered, failed, retry

log = logging.getLogger(__name__)

PROVIDER = "webhook"


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class WebhookTodo:
    provider = PROVIDER
    safe_to_resend = True
    rate_limits: tuple[RateLimit, ...] = ()

    def __init__(
        self,
        *,
        url: str,
        secret: SecretStr | str,
        timeouts: Timeouts | None = None,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self._secret = secret if isinstance(secret, SecretStr) else SecretStr(secret)
        self._clock = clock
        self._http = client or make_client(timeouts or Timeouts())

    def close(self) -> None:
        self._http.close()

    def create(self, todo: Todo) -> SendResult:
        body = {
            "event": "todo.created",
            "todo_id": todo.id,
            "receiver": todo.receiver,
            "title": todo.title,
            "url": todo.url,
        }
        return self._call(body, "待办推送")

    def done(self, key: str, receiver: str, *, title: str = "") -> SendResult:
        body = {"event": "todo.done", "todo_id": todo_id(key), "receiver": receiver}
        return self._call(body, "待办置为已办")

    def signed(self, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        stamp = str(int(self._clock()))
        signature = webhook_signature(self._secret.get_secret_value(), stamp, raw)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Duban-Timestamp": stamp,
            "X-Duban-Signature": signature,
        }
        return raw, headers

    def _call(self, body: dict[str, Any], what: str) -> SendResult:
        raw, headers = self.signed(body)
        try:
            response = self._http.post(self.url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            result = transport_failure(PROVIDER, what, exc)
        else:
            result = self._answer(response, body["todo_id"], what)
        log.info("webhook %s: status=%s code=%s", body["event"], result.status, result.code)
        return result

    def _answer(self, response: httpx.Response, tid: str, what: str) -> SendResult:
        if (bad := status_failure(PROVIDER, what, response, safe_to_resend=True)) is not None:
            return bad
        status = response.status_code
        answer = json_of(response)
        if 200 <= status < 300:
            if isinstance(answer, dict) and answer.get("ok") is False:
                return failed(
                    PROVIDER, "refused", f"{what}被拒绝：{str(answer.get('error'))[:200]}"
                )
            return delivered(PROVIDER, tid, f"{what}成功")
        error = str(answer.get("error", "")) if isinstance(answer, dict) else ""
        if status == 401:
            return failed(
                PROVIDER, "HTTP 401", f"{what}：签名被拒绝（密钥不一致或本机时钟偏差超过 5 分钟）"
            )
        if status == 404:
            return failed(PROVIDER, "not_found", f"{what}：对方没有这条待办")
        if status == 429:
            return retry(PROVIDER, "HTTP 429", f"{what}：对方限流，稍后重试")
        return failed(PROVIDER, f"HTTP {status}", f"{what}被拒绝（HTTP {status}）：{error[:200]}")
