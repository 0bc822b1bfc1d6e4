"""What the two SMS providers share: phone numbers, rendering, message ids."""

from __future__ import annotations

import math
import re
import secrets

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def mainland_number(raw: str) -> str | None:
    """The 11-digit mainland number behind ``+86…``, ``0086…``, ``86…`` or a bare one; None
    when it is not a mainland mobile number."""
    number = raw.strip().replace(" ", "").replace("-", "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
            break
    else:
        if len(number) == 13 and number.startswith("86"):
            number = number[2:]
    return number if MAINLAND_MOBILE.match(number) else None


def fee(content: str) -> int:
    """Billed parts: 70 characters fit one message, a longer one goes in parts of 67."""
    return 1 if len(content) <= 70 else math.ceil(len(content) / 67)


def digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))
