"""Who may do what. A request carries ``Authorization: Bearer <token>``; tokens are stored as
SHA-256 hashes and bound to a role, a government and (for units, leaders and OA systems)
the units or the leader they speak for. No token or an unknown one is 401; a known token
asking for something outside its role, government or units is 403."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from time import monotonic

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks.models import ApiToken, Assignment, Task

ROLES = ("admin", "supervisor", "unit", "leader", "integration")
ROLE_NAMES = {
    "admin": "系统管理员",
    "supervisor": "督查部门",
    "unit": "责任单位",
    "leader": "责任领导",
    "integration": "OA 系统",
}


class Unauthorized(Exception):
    """No credentials, or credentials we do not know (401)."""


class Forbidden(Exception):
    """Known credentials, outside their rights (403); the message says what is missing."""


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    government_id: str | None
    unit: str | None = None
    leader: str | None = None
    units: tuple[str, ...] = field(default_factory=tuple)
    token_id: int | None = None  # None: the bootstrap admin token

    @property
    def identity(self) -> str:
        """Who exactly is calling: names are labels and need not be unique."""
        return "admin" if self.token_id is None else f"token:{self.token_id}"

    @property
    def unit_scope(self) -> tuple[str, ...]:
        """The units this caller speaks for (empty for bureau-wide roles)."""
        if self.role == "unit" and self.unit:
            return (self.unit,)
        return self.units if self.role == "integration" else ()

    def sees_government(self, government_id: str) -> bool:
        return self.role == "admin" or self.government_id == government_id

    def acts_for(self, unit: str) -> bool:
        return unit in self.unit_scope


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "dbn_" + secrets.token_urlsafe(32)


def bearer_token(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("缺少访问令牌（Authorization: Bearer …）")
    return authorization[7:].strip()


ADMIN = Principal(name="admin", role="admin", government_id=None)


def is_admin_token(token: str, admin_token: str | None) -> bool:
    return bool(admin_token) and hmac.compare_digest(token, admin_token or "")


def principal_for_hash(session: Session, token_hash: str) -> Principal:
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    )
    if row is None:
        raise Unauthorized("访问令牌无效或已被吊销")
    return Principal(
        name=row.name,
        role=row.role,
        government_id=row.government_id,
        unit=row.unit,
        leader=row.leader,
        units=tuple(row.units or ()),
        token_id=row.id,
    )


class PrincipalCache:
    """Known tokens for a few seconds, so that a request does not look its token up.

    Only successful look-ups are kept (a new token works at once, an unknown one is asked
    about every time). A revocation clears the entry in the process that handled it at once;
    other processes (``--workers``, replicas) stop accepting the token within ``ttl_s``.
    """

    def __init__(self, ttl_s: float = 30.0, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self._max = max_entries
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str) -> Principal | None:
        entry = self._entries.get(token_hash)
        if entry is None or monotonic() - entry[0] >= self.ttl_s:
            return None
        return entry[1]

    def put(self, token_hash: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[token_hash] = (monotonic(), principal)

    def forget_token(self, token_id: int) -> None:
        with self._lock:
            for key, (_, principal) in list(self._entries.items()):
                if principal.token_id == token_id:
                    del self._entries[key]


def require_role(principal: Principal, *roles: str) -> None:
    if principal.role not in roles and principal.role != "admin":
        allowed = "、".join(ROLE_NAMES[r] for r in roles)
        raise Forbidden(f"此操作仅限{allowed}，当前身份为{ROLE_NAMES[principal.role]}")


def can_see_task(session: Session, principal: Principal, task: Task) -> bool:
    if not principal.sees_government(task.government_id):
        return False
    if principal.role in ("admin", "supervisor"):
        return True
    if principal.role == "leader":
        return principal.leader in task.leaders
    scope = principal.unit_scope
    return (
        bool(scope)
        and session.scalar(
            select(Assignment.id)
            .where(Assignment.task_id == task.id, Assignment.unit.in_(scope))
            .limit(1)
        )
        is not None
    )


def require_task(session: Session, principal: Principal, task: Task) -> None:
    if not can_see_task(session, principal, task):
        raise Forbidden(f"无权查看或办理任务 {task.number}")


def require_unit(principal: Principal, unit: str) -> None:
    """Only a unit (or the OA system mapped to it) acts as that unit; the bureau may too."""
    if principal.role in ("admin", "supervisor"):
        return
    if not principal.acts_for(unit):
        raise Forbidden(f"无权代表“{unit}”办理")
