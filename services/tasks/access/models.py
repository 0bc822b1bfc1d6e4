"""The API tokens table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.tasks.database import GOV, NAME, Base


class ApiToken(Base):
    """Tokens are stored as SHA-256 hashes; the plain token is shown once, when issued."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    government_id: Mapped[str | None] = mapped_column(GOV)
    unit: Mapped[str | None] = mapped_column(NAME)
    leader: Mapped[str | None] = mapped_column(String(50))
    units: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
