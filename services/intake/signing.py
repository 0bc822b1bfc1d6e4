"""The OA push webhook's signature: HMAC-SHA256 over ``<timestamp>.<body>`` with a shared
secret, hex in ``X-Duban-Signature``, Unix seconds in ``X-Duban-Timestamp``.

Signing the timestamp with the body means an old request cannot be replayed with a fresh
timestamp; the window bounds how long a captured request stays usable (and a replay inside
it only re-uploads the same bytes, which returns the same document).
"""

from __future__ import annotations

import hashlib
import hmac


class BadSignature(Exception):
    """The push is not from the OA system, or too old; the message says which, in Chinese."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    window_s: int,
) -> None:
    if not timestamp or not signature:
        raise BadSignature("缺少签名或时间戳（X-Duban-Signature / X-Duban-Timestamp）")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise BadSignature("时间戳格式错误，应为 Unix 秒数") from None
    if abs(now - sent_at) > window_s:
        raise BadSignature("请求已过期或时钟不同步，请重新推送")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip().lower()):
        raise BadSignature("签名不正确")
