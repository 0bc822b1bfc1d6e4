"""泛微 e-cology 9 统一待办中心: third-party (异构系统) to-dos over REST + JSON.

integrations.md §3.1 [S44][S45]. ``ReceiveRequestInfoByJson`` creates or updates a to-do
(``isremark`` 0 待办); ``ProcessDoneRequestByJson`` marks one receiver's to-do 已办. The flow
id is our :func:`todo_id`, so a resend updates the same to-do. ``receivets`` (ms) lets E9
drop a stale update: the create carries the to-do's creation time (the same on every resend),
the done call the time it is made, so a late resend of the create cannot reopen a to-do that
is already done. The done endpoint's name and answer are unverified (docs/simulators.md).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

import httpx

from services.notify.providers.http import (
    Timeouts,
    json_of,
    make_client,
    status_failure,
    transport_failure,
)
from services.notify.providers.oa import CHINA, Todo, todo_id
from services.notify.providers.result import RateLimit, SendResult, delivered, failed, retry

log = logging.getLogger(__name__)

PROVIDER = "weaver"
WORKFLOW = "督办任务"
NODE = "办理"


def _stamp(at: datetime) -> str:
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


class WeaverTodo:
    provider = PROVIDER
    safe_to_resend = True
    rate_limits: tuple[RateLimit, ...] = ()

    def __init__(
        self,
        *,
        base_url: str,
        syscode: str,
        sender: str = "督办系统",
        timeouts: Timeouts | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.syscode = syscode
        self.sender = sender
        self._http = client or make_client(timeouts or Timeouts(), base_url.rstrip("/"))

    def close(self) -> None:
        self._http.close()

    def create(self, todo: Todo) -> SendResult:
        created = todo.created()
        body = {
            "syscode": self.syscode,
            "flowid": todo.id,
            "requestname": todo.title,
            "workflowname": WORKFLOW,
            "nodename": NODE,
            "pcurl": todo.url,
            "appurl": todo.app_url or todo.url,
            "isremark": "0",
            "viewtype": "0",
            "creator": self.sender,
            "createdatetime": _stamp(created),
            "receiver": todo.receiver,
            "receivedatetime": _stamp(created),
            "receivets": str(int(created.timestamp() * 1000)),
        }
        return self._call("/rest/ofs/ReceiveRequestInfoByJson", body, "泛微待办推送")

    def done(self, key: str, receiver: str, *, title: str = "") -> SendResult:
        now = datetime.now(CHINA)
        body = {
            "syscode": self.syscode,
            "flowid": todo_id(key),
            "requestname": title or WORKFLOW,
            "workflowname": WORKFLOW,
            "nodename": NODE,
            "receiver": receiver,
            "isremark": "2",
            "viewtype": "1",
            "receivedatetime": _stamp(now),
            "receivets": str(int(time.time() * 1000)),
        }
        return self._call("/rest/ofs/ProcessDoneRequestByJson", body, "泛微待办置为已办")

    def _call(self, path: str, body: dict[str, Any], what: str) -> SendResult:
        try:
            response = self._http.post(path, json=body)
        except httpx.HTTPError as exc:
            result = transport_failure(PROVIDER, what, exc)
        else:
            result = self._answer(response, body["flowid"], what)
        log.info(
            "weaver %s: status=%s code=%s", path.rsplit("/", 1)[-1], result.status, result.code
        )
        return result

    def _answer(self, response: httpx.Response, flowid: str, what: str) -> SendResult:
        if (bad := status_failure(PROVIDER, what, response, safe_to_resend=True)) is not None:
            return bad
        answer = json_of(response)
        if response.status_code >= 400 or not isinstance(answer, dict):
            if response.status_code in (401, 403, 404):
                return failed(
                    PROVIDER,
                    f"HTTP {response.status_code}",
                    f"{what}：接口地址或访问权限错误（HTTP {response.status_code}），"
                    "请核对泛微地址与白名单",
                )
            return retry(
                PROVIDER, f"HTTP {response.status_code}", f"{what}：答复无法识别，稍后重试"
            )
        if str(answer.get("operResult")) == "1":
            return delivered(PROVIDER, flowid, f"{what}成功")
        message = str(answer.get("message", ""))[:200]
        code = "not_found" if "不存在" in message else "refused"
        return failed(PROVIDER, code, f"{what}被拒绝：{message}")
