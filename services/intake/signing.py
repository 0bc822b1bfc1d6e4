"""The OA push webhook's signature (version 2): HMAC-SHA256, hex in ``X-Duban-Signature``,
over every part of the push that changes what is stored::

    v2 LF <X-Duban-Timestamp> LF <X-Duban-Government> LF <X-Duban-Filename> LF <body>

each header exactly as sent (the file name still percent-encoded; an absent header is the
empty string), LF a single newline byte. A header cannot hold a newline, so the parts cannot
be shifted into one another; the body comes last and is taken whole. Changing the
government or the file name breaks the signature as changing the body does.

The timestamp (Unix seconds) bounds how long a captured push stays usable: a push more than
``DUBAN_INTAKE_OA_REPLAY_WINDOW_S`` seconds from the server's clock is refused. Inside the
window a replay is recognised by its signature and answered with the first answer (intake
keeps a receipt per signature until its window has passed), never a second document.

The headers are checked (``check_headers``) before the body is read, the signature over
the body (``verify``) after.
"""

from __future__ import annotations

import hashlib
import hmac
import re

VERSION = b"v2"
_HEX = re.compile(r"^[0-9a-f]{64}$")


class BadSignature(Exception):
    """The push is not from the OA system, or too old; the message says which, in Chinese."""


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def signed_message(
    timestamp: str | bytes, government: str | bytes, filename: str | bytes, body: bytes
) -> bytes:
    parts = (VERSION, _bytes(timestamp), _bytes(government), _bytes(filename), body)
    return b"\n".join(parts)


def sign(
    secret: str,
    timestamp: str,
    body: bytes,
    *,
    government: str | bytes = "",
    filename: str | bytes = "",
) -> str:
    """The ``X-Duban-Signature`` of a push: give the headers exactly as they will be sent
    (``filename`` percent-encoded, as in ``X-Duban-Filename``)."""
    message = signed_message(timestamp, government, filename, body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def check_headers(
    timestamp: str | None, signature: str | None, now: float, window_s: int
) -> tuple[str, str]:
    """Before the body is read: the timestamp and signature are there, well formed and
    recent. Returns them, normalised."""
    if not timestamp or not signature:
        raise BadSignature("缺少签名或时间戳（X-Duban-Signature / X-Duban-Timestamp）")
    timestamp, signature = timestamp.strip(), signature.strip().lower()
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise BadSignature("时间戳格式错误，应为 Unix 秒数")
    if abs(now - int(timestamp)) > window_s:
        raise BadSignature("请求已过期或时钟不同步，请重新推送")
    if not _HEX.match(signature):
        raise BadSignature("签名格式错误，应为 64 位十六进制 HMAC-SHA256")
    return timestamp, signature


def verify(
    secret: str,
    timestamp: str,
    signature: str,
    body: bytes,
    *,
    government: str | bytes = b"",
    filename: str | bytes = b"",
) -> None:
    """After ``check_headers``: the signature covers these headers and this body."""
    expected = sign(secret, timestamp, body, government=government, filename=filename)
    if not hmac.compare_digest(expected, signature):
        raise BadSignature("签名不正确")


def receipt_key(signature: str) -> str:
    """What a push's receipt is kept under: its signature, hashed."""
    return hashlib.sha256(signature.strip().lower().encode()).hexdigest()
