"""HTTP plumbing the provider clients share: one ``httpx.Client`` per provider (connections
are reused), explicit connect and read timeouts, what a transport failure means for the
message, and keeping credentials out of httpx's own request log.

What a failure means (the difference between ``retry`` and ``in_doubt``):

* the connection never opened (refused, DNS, connect timeout, no free connection in the pool)
  or the request could not be written out completely: the provider cannot have acted on it →
  ``retry``;
* the request was written and no answer came (read timeout, connection dropped mid-answer):
  the provider may have acted on it → ``in_doubt``. A client cannot tell "the provider hung
  before accepting" from "it accepted and then hung": both are a read timeout.
* an answer of HTTP 502/503 (a gateway that could not reach the provider, or the provider
  saying it is unavailable) → ``retry``; HTTP 504 (a gateway that gave up waiting for the
  provider) → ``in_doubt`` unless resending is safe for that client.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx

from services.notify.providers.result import SendResult, failed, in_doubt, retry


@dataclass(frozen=True)
class Timeouts:
    """Seconds; ``read_s`` also bounds a write. Keep ``read_s`` above the provider's normal
    answer time: every read timeout is an ``in_doubt``."""

    connect_s: float = 3.0
    read_s: float = 10.0

    def as_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_s, read=self.read_s, write=self.read_s, pool=self.connect_s
        )


def make_client(timeouts: Timeouts, base_url: str = "") -> httpx.Client:
    """One per provider client, shared by the engine's worker threads (httpx.Client is
    thread-safe); redirects are not followed, a provider API does not redirect."""
    return httpx.Client(
        base_url=base_url,
        timeout=timeouts.as_httpx(),
        follow_redirects=False,
        headers={"User-Agent": "duban-notify/1"},
    )


NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteTimeout,
    httpx.WriteError,
    httpx.UnsupportedProtocol,
)


def transport_failure(provider: str, what: str, exc: httpx.HTTPError) -> SendResult:
    """The result of a request that got no HTTP answer. ``what`` names the call in Chinese
    (``企业微信发送消息``). The exception's text is not used: it may carry the URL."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return failed(provider, kind, f"{what}：接口地址配置错误（{kind}），请检查地址设置")
    if isinstance(exc, NOT_SENT):
        return retry(provider, kind, f"{what}：无法连接服务（{kind}），请求未发出，稍后重试")
    return in_doubt(
        provider,
        kind,
        f"{what}：请求已发出但未收到答复（{kind}），对方可能已受理，也可能没有",
    )


def status_failure(
    provider: str, what: str, response: httpx.Response, *, safe_to_resend: bool
) -> SendResult | None:
    """The result for an HTTP 5xx answer (None for any other status)."""
    code = response.status_code
    if code < 500:
        return None
    if code == 504 and not safe_to_resend:
        return in_doubt(
            provider, "HTTP 504", f"{what}：网关超时（HTTP 504），对方可能已受理，也可能没有"
        )
    return retry(provider, f"HTTP {code}", f"{what}：服务暂不可用（HTTP {code}），稍后重试")


def json_of(response: httpx.Response) -> Any | None:
    """The parsed body, or None when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


# --- httpx's request log ------------------------------------------------------------------
#
# httpx logs every request at INFO as "HTTP Request: POST <url> ...". The URL carries
# credentials for some providers (WeCom's corpsecret and access_token, the robot key in the
# query; 致远's REST password in the path), so the URL in that line loses its query and any
# path after /rest/token/. Installed once, on import of this module.

_TOKEN_PATH = re.compile(r"(/rest/token/).*")


def _clean_url(url: httpx.URL) -> str:
    path = _TOKEN_PATH.sub(r"\1***", url.path)
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{path}"


class HideCredentialsInUrls(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(
                _clean_url(a) if isinstance(a, httpx.URL) else a for a in record.args
            )
        return True


def _install_filter() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, HideCredentialsInUrls) for f in logger.filters):
        logger.addFilter(HideCredentialsInUrls())


_install_filter()
