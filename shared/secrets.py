"""What a production deployment's secrets must be: set, long and not a placeholder. A
service in production mode (``DUBAN_PRODUCTION=true``) refuses to start otherwise and says
which setting is wrong, instead of running with a token anyone could guess."""

from __future__ import annotations

from collections.abc import Mapping

MIN_LENGTH = 32
# Words of the values people leave in place from examples and templates.
PLACEHOLDERS = ("change", "placeholder", "example", "secret", "password", "todo", "xxx", "demo")


def weakness(value: str | None) -> str | None:
    """Why ``value`` is no secret (Chinese), or None when it will do."""
    if not value:
        return "未设置"
    if len(value) < MIN_LENGTH:
        return f"过短（{len(value)} 个字符，至少 {MIN_LENGTH} 个）"
    lowered = value.lower()
    if len(set(lowered)) < 8 or any(word in lowered for word in PLACEHOLDERS):
        return "像是示例或占位值，请换成随机生成的值"
    return None


def weak_secrets(
    required: Mapping[str, str | None], optional: Mapping[str, str | None]
) -> list[str]:
    """One line per weak secret, named by its setting: ``required`` ones must be set,
    ``optional`` ones (a feature that is off when unset) must be strong when set."""
    found = [(name, weakness(value)) for name, value in required.items()]
    found += [(name, weakness(value)) for name, value in optional.items() if value]
    return [f"{name} {why}" for name, why in found if why]
