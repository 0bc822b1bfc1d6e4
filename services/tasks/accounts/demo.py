"""The accounts a fresh `duban run` makes: the first administrator (a generated password,
printed once), and with ``--demo`` the demo logins its login page lists."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.tasks.access.principal import Role
from services.tasks.accounts.models import Account
from services.tasks.accounts.service import CLI, create_account


@dataclass(frozen=True)
class DemoAccount:
    login: str
    password: str
    display_name: str
    role: Role
    leader: str | None = None


# Known passwords, for a demonstration only: `duban run --demo` refuses production mode.
DEMO_ACCOUNTS = (
    DemoAccount("demo-supervisor", "Dcs#Demo-2026", "督查室演示员", Role.SUPERVISOR),
    DemoAccount("demo-leader", "Leader#Demo-2026", "王明（责任领导演示）", Role.LEADER, "王明"),
)
DEMO_GOVERNMENT = "default"
FIRST_ADMIN = "admin"


def first_admin(session: Session) -> str | None:
    """With no account at all, the administrator ``admin`` with a generated password, which
    is returned (to be shown once); None when there are accounts already."""
    if session.scalar(select(func.count()).select_from(Account)):
        return None
    _, password = create_account(
        session,
        CLI,
        login=FIRST_ADMIN,
        display_name="系统管理员",
        role=Role.ADMIN,
        government_id=None,
    )
    return password


def demo_accounts(session: Session) -> list[str]:
    """The demo accounts that were missing, made with their known passwords."""
    made = []
    for demo in DEMO_ACCOUNTS:
        if session.scalar(select(Account.id).where(Account.login == demo.login)) is None:
            create_account(
                session,
                CLI,
                login=demo.login,
                display_name=demo.display_name,
                role=demo.role,
                government_id=DEMO_GOVERNMENT,
                leader=demo.leader,
                password=demo.password,
                must_change=False,
            )
            made.append(demo.login)
    return made
