"""Passwords: hashed with argon2id (argon2-cffi's ``PasswordHasher``, RFC 9106's defaults),
a strength rule, and generated ones that meet it."""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 128
COMMON = ("password", "passw0rd", "123456", "qwerty", "admin", "duban", "abc123", "1qaz2wsx")
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # no 0/O, 1/l/I


@lru_cache
def hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return hasher().check_needs_rehash(stored)


@lru_cache
def dummy_hash() -> str:
    """Verified against when the login name is unknown, so that the answer takes as long."""
    return hash_password(secrets.token_urlsafe(16))


def weakness(password: str, login: str = "") -> str | None:
    """Why the password will not do (Chinese), or None: at least 10 characters of at least
    three kinds (capitals, small letters, digits, symbols), not the login name, not common."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 位"
    if len(password) > MAX_LENGTH:
        return f"密码至多 {MAX_LENGTH} 位"
    kinds = (str.isupper, str.islower, str.isdigit, lambda c: not c.isalnum())
    if sum(any(kind(c) for c in password) for kind in kinds) < 3:
        return "密码须包含大写字母、小写字母、数字、符号中的至少三类"
    lowered = password.lower()
    if login and login.lower() in lowered:
        return "密码不得包含登录名"
    if len(set(password)) < 5 or any(word in lowered for word in COMMON):
        return "密码过于简单或常见，请换一个"
    return None


def generate_password() -> str:
    """Four groups of four, e.g. ``Kp7r-Xm3a-Qd9w-Hb4n``: easy to type, 90+ bits."""
    while True:
        groups = ("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
        password = "-".join(groups)
        if weakness(password) is None:
            return password
