"""致远 A8/V5 第三方待办 (thirdpartyPending) over REST.

integrations.md §3.1 [S46]. A REST user's token (``GET /seeyon/rest/token/{user}/{password}``)
is sent in a ``token`` header; it is cached and fetched again once when the OA answers 401.
``thirdpartyPending/receive`` creates (or, same ``taskId``, updates) the to-do;
``updatePendingState`` with ``state`` 1 marks it 已办. The ``taskId`` is our
:func:`todo_id`. The receiver goes both as ``thirdReceiverId`` and ``noneBindingReceiver``
(the OA login name), so it is found whether or not the account is bound. Answer bodies
(``success`` / ``errorMsgs``) are unverified (docs/simulators.md).
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import quote

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

PROVIDER = "seeyon"


class _TokenRefused(Exception):
    def __init__(self, result: SendResult) -> None:
        super().__init__(result.message)
        self.result = result


class SeeyonTodo:
    provider = PROVIDER
    safe_to_resend = True
    rate_limits: tuple[RateLimit, ...] = ()

    def __init__(
        self,
        *,
        base_url: str,
        rest_user: str,
        rest_password: SecretStr | str,
        register_code: str,
        sender: str = "督办系统",
        timeouts: Timeouts | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.register_code = register_code
        self.sender = sender
        self._user = rest_user
        self._password = (
            rest_password if isinstance(rest_password, SecretStr) else SecretStr(rest_password)
        )
        self._http = client or make_client(timeouts or Timeouts(), base_url.rstrip("/"))
        self._lock = threading.Lock()
        self._token: str | None = None

    def close(self) -> None:
        self._http.close()

    def create(self, todo: Todo) -> SendResult:
        body = {
            "registerCode": self.register_code,
            "taskId": todo.id,
            "title": todo.title,
            "senderName": self.sender,
            "classify": "督办",
            "contentType": "督办任务",
            "state": "0",
            "thirdSenderId": "duban",
            "thirdReceiverId": todo.receiver,
            "noneBindingSender": self.sender,
            "noneBindingReceiver": todo.receiver,
            "creationDate": todo.created().strftime("%Y-%m-%d %H:%M"),
            "url": todo.url,
            "h5url": todo.app_url or todo.url,
        }
        return self._call("/seeyon/rest/thirdpartyPending/receive", body, "致远待办推送")

    def done(self, key: str, receiver: str, *, title: str = "") -> SendResult:
        body = {
            "registerCode": self.register_code,
            "taskId": todo_id(key),
            "state": "1",
            "thirdReceiverId": receiver,
            "noneBindingReceiver": receiver,
        }
        return self._call(
            "/seeyon/rest/thirdpartyPending/updatePendingState", body, "致远待办置为已办"
        )

    # --- token ---------------------------------------------------------------------------------

    def _get_token(self, stale: str | None = None) -> str:
        with self._lock:
            if self._token is not None and self._token != stale:
                return self._token
            what = "致远获取 REST token"
            path = (
                f"/seeyon/rest/token/{quote(self._user, safe='')}/"
                f"{quote(self._password.get_secret_value(), safe='')}"
            )
            try:
                response = self._http.get(path, headers={"Accept": "application/json"})
            except httpx.HTTPError as exc:
                result = transport_failure(PROVIDER, what, exc)
                if result.status == "in_doubt":  # only the token is unknown, no to-do was sent
                    result = retry(PROVIDER, result.code, f"{what}：超时未答复，稍后重试")
                raise _TokenRefused(result) from None
            if (bad := status_failure(PROVIDER, what, response, safe_to_resend=True)) is not None:
                raise _TokenRefused(bad)
            answer = json_of(response)
            token = answer.get("id") if isinstance(answer, dict) else None
            if response.status_code == 200 and token:
                self._token = str(token)
                return self._token
            raise _TokenRefused(
                failed(
                    PROVIDER,
                    f"HTTP {response.status_code}",
                    f"{what}失败：REST 用户名或密码错误，请核对该 OA 的 rest_user / rest_password",
                )
            )

    # --- calls ---------------------------------------------------------------------------------

    def _call(self, path: str, body: dict[str, Any], what: str) -> SendResult:
        try:
            token = self._get_token()
            response = self._post(path, body, token, what)
            if isinstance(response, httpx.Response) and response.status_code == 401:
                token = self._get_token(stale=token)
                response = self._post(path, body, token, what)
        except _TokenRefused as exc:
            result = exc.result
        else:
            result = (
                response
                if isinstance(response, SendResult)
                else self._answer(response, body["taskId"], what)
            )
        log.info(
            "seeyon %s: status=%s code=%s", path.rsplit("/", 1)[-1], result.status, result.code
        )
        return result

    def _post(
        self, path: str, body: dict[str, Any], token: str, what: str
    ) -> httpx.Response | SendResult:
        try:
            return self._http.post(path, json=body, headers={"token": token})
        except httpx.HTTPError as exc:
            return transport_failure(PROVIDER, what, exc)

    def _answer(self, response: httpx.Response, task_id: str, what: str) -> SendResult:
        if (bad := status_failure(PROVIDER, what, response, safe_to_resend=True)) is not None:
            return bad
        if response.status_code == 401:
            return failed(
                PROVIDER, "HTTP 401", f"{what}：token 刷新后仍被拒绝，请核对 REST 用户权限"
            )
        answer = json_of(response)
        if not isinstance(answer, dict) or "success" not in answer:
            return retry(
                PROVIDER, f"HTTP {response.status_code}", f"{what}：答复无法识别，稍后重试"
            )
        if answer["success"] is True:
            return delivered(PROVIDER, task_id, f"{what}成功")
        errors = "；".join(str(e) for e in answer.get("errorMsgs") or [])[:200]
        code = "not_found" if "不存在" in errors else "refused"
        return failed(PROVIDER, code, f"{what}被拒绝：{errors}")
