"""Mainland mobile numbers: accepted as written (``13912345678``, ``+86 139-1234-5678``,
``0086…``), kept as 11 digits, shown masked (``139****5678``) to everyone but the bureau."""

from __future__ import annotations

import re

MOBILE = re.compile(r"1[3-9]\d{9}")
_NOISE = re.compile(r"[\s\-()（）]")


def normalise_mobile(raw: str) -> str:
    """11 digits, or ValueError with the reason in Chinese."""
    digits = _NOISE.sub("", raw)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not MOBILE.fullmatch(digits):
        raise ValueError(f"手机号“{mask(raw)}”格式不正确，应为 11 位大陆手机号")
    return digits


def mask(number: str | None) -> str | None:
    """``13912345678`` → ``139****5678``; anything else of 7+ characters keeps its ends."""
    if not number:
        return number
    if len(number) >= 7:
        return number[:3] + "****" + number[-4:]
    return "****"
