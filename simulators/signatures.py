"""The request-signing algorithms the providers check, as pure functions.

They live apart from the HTTP handlers so that each one can be tested against the providers'
own worked examples, and so that a client under test can import nothing from here and still be
checked: the simulator recomputes what the real provider would and compares.

- Aliyun RPC (POP) signature v1, HMAC-SHA1 over the sorted, percent-encoded parameters.
- Tencent Cloud API v3, TC3-HMAC-SHA256 over a canonical request.
- duban's own generic to-do webhook: hex HMAC-SHA256 of ``<timestamp>.<body>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

# --- Aliyun POP v1 --------------------------------------------------------------------------


def aliyun_percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun specifies it: UTF-8, unreserved ``A-Za-z0-9-_.~`` kept,
    space as ``%20`` (never ``+``), ``*`` as ``%2A``."""
    return quote(value, safe="-_.~")


def aliyun_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """``METHOD&%2F&percent(canonical query)``, the ``Signature`` parameter left out."""
    canonical = "&".join(
        f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}"
        for k, v in sorted(params.items())
        if k != "Signature"
    )
    return f"{method.upper()}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(canonical)}"


def aliyun_signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    """Base64 HMAC-SHA1 of the string to sign, keyed with ``AccessKeySecret + "&"``."""
    digest = hmac.new(
        (access_key_secret + "&").encode(),
        aliyun_string_to_sign(method, params).encode(),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode()


# --- Tencent Cloud TC3-HMAC-SHA256 ----------------------------------------------------------

TC3_ALGORITHM = "TC3-HMAC-SHA256"


def tc3_canonical_request(
    method: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: list[str],
    body: bytes,
) -> str:
    """Method, ``/``, query, the signed headers (lower-case name, trimmed lower-case value),
    their names, and the hex SHA-256 of the body, one per line."""
    canonical_headers = "".join(
        f"{name}:{headers[name].strip().lower()}\n" for name in signed_headers
    )
    return "\n".join(
        [
            method.upper(),
            "/",
            query,
            canonical_headers,
            ";".join(signed_headers),
            hashlib.sha256(body).hexdigest(),
        ]
    )


def tc3_date(timestamp: int) -> str:
    """The UTC date of ``X-TC-Timestamp``, which goes into the credential scope."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def tc3_string_to_sign(timestamp: int, service: str, canonical_request: str) -> str:
    scope = f"{tc3_date(timestamp)}/{service}/tc3_request"
    hashed = hashlib.sha256(canonical_request.encode()).hexdigest()
    return f"{TC3_ALGORITHM}\n{timestamp}\n{scope}\n{hashed}"


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_signature(secret_key: str, timestamp: int, service: str, string_to_sign: str) -> str:
    """The derived-key chain ``TC3+key → date → service → tc3_request``, then hex HMAC."""
    k_date = _hmac256(("TC3" + secret_key).encode(), tc3_date(timestamp))
    k_service = _hmac256(k_date, service)
    k_signing = _hmac256(k_service, "tc3_request")
    return hmac.new(k_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()


def tc3_authorization(
    secret_id: str,
    secret_key: str,
    *,
    service: str,
    timestamp: int,
    headers: Mapping[str, str],
    body: bytes,
    method: str = "POST",
    query: str = "",
    signed_headers: list[str] | None = None,
) -> str:
    """The whole ``Authorization`` header a client sends: used by the tests and by anyone who
    wants to drive the simulator by hand. ``headers`` must hold lower-case names."""
    names = signed_headers or ["content-type", "host"]
    canonical = tc3_canonical_request(method, query, headers, names, body)
    to_sign = tc3_string_to_sign(timestamp, service, canonical)
    signature = tc3_signature(secret_key, timestamp, service, to_sign)
    scope = f"{tc3_date(timestamp)}/{service}/tc3_request"
    return (
        f"{TC3_ALGORITHM} Credential={secret_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )


def parse_tc3_authorization(value: str) -> dict[str, str] | None:
    """Split ``TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`` into its parts
    (``secret_id``, ``date``, ``service``, ``terminator``, ``signed_headers``, ``signature``);
    None when it is not of that form."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != TC3_ALGORITHM:
        return None
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if sep:
            parts[key] = val
    try:
        secret_id, date, service, terminator = parts["Credential"].split("/")
        return {
            "secret_id": secret_id,
            "date": date,
            "service": service,
            "terminator": terminator,
            "signed_headers": parts["SignedHeaders"],
            "signature": parts["Signature"],
        }
    except (KeyError, ValueError):
        return None


# --- duban's generic to-do webhook ----------------------------------------------------------


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``<timestamp>.<raw body>``: binding the time stops a replay of an old
    body, signing the raw bytes avoids any JSON re-serialisation mismatch."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
