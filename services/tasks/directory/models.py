"""The directory's tables."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.tasks.database import GOV, NAME, Base


class UnitKind(StrEnum):
    UNIT = "unit"
    GROUP = "group"  # 各街道办事处, …成员单位: stands for its member units


class Unit(Base):
    """A unit of the org directory, or a named group of units (kind ``group``)."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("government_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    government_id: Mapped[str] = mapped_column(GOV)
    name: Mapped[str] = mapped_column(NAME)
    kind: Mapped[str] = mapped_column(String(10), default=UnitKind.UNIT)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    members: Mapped[list[str]] = mapped_column(JSON, default=list)


class Leader(Base):
    __tablename__ = "leader"
    __table_args__ = (UniqueConstraint("government_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    government_id: Mapped[str] = mapped_column(GOV)
    name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(100), default="")
