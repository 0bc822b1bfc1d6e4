"""Accounts and their sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.tasks.database import GOV, NAME, Base

LOGIN = 40  # a login name
DISPLAY = 40  # a person's name as shown


class Account(Base):
    """A person who logs in. The password is kept only as its argon2id hash."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(LOGIN), unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY))
    role: Mapped[str] = mapped_column(String(20))
    government_id: Mapped[str | None] = mapped_column(GOV)
    unit: Mapped[str | None] = mapped_column(NAME)
    leader: Mapped[str | None] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def actor(self) -> str:
        """How the audit log and the events name this person: unique, by the login."""
        return f"{self.display_name}（{self.login}）"


class AccountSession(Base):
    """A session begun at login. Only the hash of its secret id is kept; the id itself is
    in the person's cookie alone."""

    __tablename__ = "account_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[str] = mapped_column(String(20))  # password; later oidc
    client: Mapped[str | None] = mapped_column(String(64))  # the address it logged in from
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(20))
