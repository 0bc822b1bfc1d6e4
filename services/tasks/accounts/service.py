"""Accounts: opening them, logging in, lock-out, passwords, and the sessions a login begins.

``start_session`` is the one place a session begins: the password login calls it, and so
will any other login method (a unified identity platform's OIDC callback maps the platform's
subject to an account, then calls it). Every session that ends before its time (logout,
password reset or change, lock-out, account disabled) is announced as
``access.session_revoked`` and applied to this service's own ``credential`` copy in the same
transaction, by the handler every other service runs on the event.

Every change is in the audit log with who made it: the administrator or bureau clerk by
their token's or account's name, a person logging in by their account. Never a password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tasks import audit
from services.tasks.access.principal import BUREAU, Principal, Role, require_role
from services.tasks.accounts import passwords
from services.tasks.accounts.models import LOGIN, Account, AccountSession
from services.tasks.directory.resolve import directory_unit
from services.tasks.errors import Conflict, Forbidden, Invalid, NotFound
from services.tasks.settings import tasks_settings
from shared.contracts.tasks import SessionRevokedV1
from shared.identity.credentials import on_session_revoked
from shared.identity.sessions import Claims, new_session_id, session_hash, session_settings
from shared.messaging.outbox import add_event

PEOPLE = (Role.ADMIN, Role.SUPERVISOR, Role.LEADER, Role.UNIT)  # an OA system has a token
LOGIN_PATTERN = re.compile(rf"^[A-Za-z0-9_.@-]{{2,{LOGIN}}}$")
CLI = Principal(name="系统（duban admin 命令）", role=Role.ADMIN, government_id=None)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; every time stored here is UTC."""
    if moment is None or moment.tzinfo:
        return moment
    return moment.replace(tzinfo=UTC)


def _government(account: Account) -> str:
    return account.government_id or "*"


def _audit(session: Session, account: Account, actor: str, action: str, **fields: object) -> None:
    audit.record(
        session,
        government_id=_government(account),
        actor=actor,
        action=action,
        entity="account",
        entity_id=account.id,
        **fields,
    )


def described(account: Account) -> dict[str, object]:
    return {
        "login": account.login,
        "display_name": account.display_name,
        "role": account.role,
        "government_id": account.government_id,
        "unit": account.unit,
        "leader": account.leader,
    }


# --- opening and managing accounts ---------------------------------------------------------


def create_account(
    session: Session,
    principal: Principal,
    *,
    login: str,
    display_name: str,
    role: Role,
    government_id: str | None,
    unit: str | None = None,
    leader: str | None = None,
    password: str | None = None,
    must_change: bool = True,
) -> tuple[Account, str | None]:
    """The new account and its generated password (None when one was given)."""
    require_role(principal, Role.SUPERVISOR)
    role = Role(role)
    if role not in PEOPLE:
        raise Invalid("账户只用于人员登录：系统对接请签发 integration 令牌（POST /tasks/tokens）")
    if principal.role != Role.ADMIN:
        if role in BUREAU:
            raise Forbidden("督查部门只能开设单位和领导的账户")
        government_id = government_id or principal.government_id
        if government_id != principal.government_id:
            raise Forbidden("无权为其他政府开设账户")
    if role != Role.ADMIN and not government_id:
        raise Invalid("必须指定 government_id")
    if not LOGIN_PATTERN.match(login):
        raise Invalid(f"登录名须为 2–{LOGIN} 位字母、数字或 _ . @ -")
    if role == Role.UNIT:
        if not unit:
            raise Invalid("unit 角色的账户必须指定其单位")
        unit = directory_unit(session, government_id or "", unit)
    if role == Role.LEADER and not leader:
        raise Invalid("leader 角色的账户必须指定其所代表的领导")
    if session.scalar(select(Account.id).where(Account.login == login)) is not None:
        raise Conflict(f"登录名“{login}”已被使用")
    plain = None
    if password is None:
        password = plain = passwords.generate_password()
    else:
        _strong(password, login)
    now = _now()
    account = Account(
        login=login,
        display_name=display_name,
        role=role,
        government_id=government_id if role != Role.ADMIN else government_id or None,
        unit=unit if role == Role.UNIT else None,
        leader=leader if role == Role.LEADER else None,
        password_hash=passwords.hash_password(password),
        failed_count=0,
        password_changed_at=now,
        must_change_password=must_change,
        disabled=False,
        created_at=now,
        created_by=principal.name,
    )
    session.add(account)
    session.flush()
    _audit(session, account, principal.name, "account.created", after=described(account))
    return account, plain


def _strong(password: str, login: str) -> None:
    why = passwords.weakness(password, login)
    if why is not None:
        raise Invalid(why)


def list_accounts(session: Session, principal: Principal) -> list[Account]:
    require_role(principal, Role.SUPERVISOR)
    query = select(Account).order_by(Account.id)
    if principal.role != Role.ADMIN:
        query = query.where(Account.government_id == principal.government_id)
    return list(session.scalars(query))


def managed(session: Session, principal: Principal, account_id: int) -> Account:
    """An account the caller may manage: the admin any; a supervisor its government's unit
    and leader accounts. Another government's is not found (its existence is not revealed)."""
    require_role(principal, Role.SUPERVISOR)
    account = session.get(Account, account_id)
    if account is None or not principal.sees_government(account.government_id or ""):
        raise NotFound(f"找不到账户 {account_id}")
    if principal.role != Role.ADMIN and account.role in BUREAU:
        raise Forbidden("督查部门不能管理管理员或督查部门的账户")
    return account


def find_by_login(session: Session, login: str) -> Account:
    account = session.scalar(select(Account).where(Account.login == login))
    if account is None:
        raise NotFound(f"找不到登录名为“{login}”的账户")
    return account


def reset_password(
    session: Session, principal: Principal, account: Account, password: str | None = None
) -> tuple[str | None, list[str]]:
    """By an administrator (or the bureau, for its units and leaders): a new password (a
    generated one is returned), the account unlocked, its sessions ended; the person must
    change it at the next login."""
    plain = None
    if password is None:
        password = plain = passwords.generate_password()
    else:
        _strong(password, account.login)
    before = {"locked_until": _iso(account.locked_until), "failed_count": account.failed_count}
    _set_password(account, password)
    account.must_change_password = True
    account.failed_count, account.locked_until = 0, None
    ended = end_sessions(session, account, "password")
    after = {"locked_until": None, "failed_count": 0, "sessions_ended": len(ended)}
    _audit(session, account, principal.name, "account.password_reset", before=before, after=after)
    return plain, ended


def update_account(
    session: Session,
    principal: Principal,
    account: Account,
    *,
    display_name: str | None = None,
    disabled: bool | None = None,
) -> list[str]:
    """Rename, disable (its sessions end) or enable again."""
    before = {"display_name": account.display_name, "disabled": account.disabled}
    if display_name is not None:
        account.display_name = display_name
    ended: list[str] = []
    if disabled is not None and disabled != account.disabled:
        account.disabled = disabled
        if disabled:
            ended = end_sessions(session, account, "disabled")
        else:
            account.failed_count, account.locked_until = 0, None
    after = {"display_name": account.display_name, "disabled": account.disabled}
    _audit(session, account, principal.name, "account.updated", before=before, after=after)
    return ended


def change_own_password(
    session: Session, principal: Principal, old: str, new: str
) -> tuple[Account, list[str], str | None]:
    """A person's own change: the old password first (a wrong one counts as a failed login:
    then the third value says so, and the caller commits the count before refusing), then
    the new one, which must meet the rule and differ. Every session of the account ends;
    the caller begins a new one for the person."""
    if principal.account_id is None:
        raise Forbidden("只有登录的账户可以修改自己的密码；访问令牌没有密码")
    account = session.get(Account, principal.account_id)
    if account is None or account.disabled:
        raise Forbidden("账户不存在或已停用")
    if not passwords.verify_password(account.password_hash, old):
        ended = _failed(session, account, account.actor, "account.password_change_failed")
        return account, ended, "原密码不正确"
    if old == new:
        raise Invalid("新密码不能与原密码相同")
    _strong(new, account.login)
    _set_password(account, new)
    account.must_change_password = False
    account.failed_count = 0
    ended = end_sessions(session, account, "password")
    _audit(session, account, account.actor, "account.password_changed", after={"by": "self"})
    return account, ended, None


def _set_password(account: Account, password: str) -> None:
    account.password_hash = passwords.hash_password(password)
    account.password_changed_at = _now()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- logging in ----------------------------------------------------------------------------


@dataclass
class Login:
    """The outcome of a password login: a session's claims, or a refusal. ``retry_after``
    (seconds) when the account is locked; ``ended`` the sessions a lock-out ended."""

    claims: Claims | None = None
    account: Account | None = None
    retry_after: int = 0
    ended: list[str] = field(default_factory=list)


def password_login(session: Session, login: str, password: str, client: str | None) -> Login:
    """Checks a login name and password. The refusal is the same whether the name exists or
    not (a dummy hash is verified for an unknown one, so it takes as long)."""
    account = session.scalar(select(Account).where(Account.login == login))
    if account is None:
        passwords.verify_password(passwords.dummy_hash(), password)
        audit.record(
            session,
            government_id="*",
            actor="未知账户",
            action="account.login_failed",
            entity="account",
            entity_id="?",
            after={"client": client, "why": "unknown"},
        )
        return Login()
    now = _now()
    locked_until = _aware(account.locked_until)
    if locked_until is not None and locked_until > now:
        _audit(session, account, account.actor, "account.login_refused", after={"client": client})
        return Login(account=account, retry_after=_seconds_until(locked_until, now))
    if not passwords.verify_password(account.password_hash, password) or account.disabled:
        why = "disabled" if account.disabled else "password"
        ended = _failed(session, account, account.actor, "account.login_failed", client, why)
        locked = _aware(account.locked_until)
        retry = _seconds_until(locked, now) if locked and locked > now else 0
        return Login(account=account, retry_after=retry, ended=ended)
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    account.failed_count, account.locked_until, account.last_login_at = 0, None, now
    return Login(claims=start_session(session, account, method="password", client=client))


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds()) + 1)


def _failed(
    session: Session,
    account: Account,
    actor: str,
    action: str,
    client: str | None = None,
    why: str = "password",
) -> list[str]:
    """One more failure in a row; at the limit the account locks and its sessions end."""
    settings = tasks_settings()
    account.failed_count = (account.failed_count or 0) + 1
    _audit(
        session,
        account,
        actor,
        action,
        after={"client": client, "why": why, "failed_count": account.failed_count},
    )
    if account.failed_count < settings.login_max_failures:
        return []
    account.locked_until = _now() + timedelta(minutes=settings.login_lock_minutes)
    account.failed_count = 0
    ended = end_sessions(session, account, "locked")
    after = {"locked_until": _iso(account.locked_until), "sessions_ended": len(ended)}
    _audit(session, account, "系统（登录失败次数过多）", "account.locked", after=after)
    return ended


# --- sessions ------------------------------------------------------------------------------


def start_session(session: Session, account: Account, *, method: str, client: str | None) -> Claims:
    """Begin a session for an account whose person has proven who they are, by whatever
    method (``password``; an OIDC login would pass ``oidc``). The claims go into the cookie
    (``shared.identity.sessions.set_session_cookies``); only their id's hash is kept here."""
    if account.disabled:
        raise Forbidden("账户已停用")
    settings = session_settings()
    now = _now()
    session_id = new_session_id()
    row = AccountSession(
        account_id=account.id,
        session_hash=session_hash(session_id),
        method=method,
        client=client,
        created_at=now,
        expires_at=now + timedelta(hours=settings.lifetime_hours),
    )
    session.add(row)
    session.flush()
    at = int(now.timestamp())
    claims = Claims(
        sid=session_id,
        no=row.id,
        account=account.id,
        name=account.actor,
        role=account.role,
        gov=account.government_id,
        unit=account.unit,
        leader=account.leader,
        iat=at,
        seen=at,
        exp=int(row.expires_at.timestamp()),
    )
    after = {"method": method, "client": client, "session": row.id}
    _audit(session, account, account.actor, "account.login", after=after)
    return claims


def end_session(session: Session, row: AccountSession, reason: str) -> str:
    """Ends one session, announced to every service; returns its hash (for the cache)."""
    if row.revoked_at is None:
        row.revoked_at, row.revoked_reason = _now(), reason
        event = SessionRevokedV1(
            session_id=row.id,
            session_hash=row.session_hash,
            account_id=row.account_id,
            revoked_at=row.revoked_at,
            expires_at=_aware(row.expires_at) or row.expires_at,
            reason=reason,  # type: ignore[arg-type]
        )
        on_session_revoked(session, event)
        add_event(session, event)
    return row.session_hash


def end_sessions(session: Session, account: Account, reason: str) -> list[str]:
    """Every live session of the account ended."""
    now = _now()
    rows = session.scalars(
        select(AccountSession).where(
            AccountSession.account_id == account.id,
            AccountSession.revoked_at.is_(None),
            AccountSession.expires_at > now,
        )
    )
    return [end_session(session, row, reason) for row in rows]


def logout(session: Session, claims: Claims) -> str | None:
    row = session.get(AccountSession, claims.no)
    if row is None or row.session_hash != claims.hash:
        return None
    account = session.get(Account, row.account_id)
    hashed = end_session(session, row, "logout")
    if account is not None:
        _audit(session, account, account.actor, "account.logout", after={"session": row.id})
    return hashed
