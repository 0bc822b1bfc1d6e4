"""The administrator's holiday tables."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.tasks.database import Base


class HolidayOverride(Base):
    """The administrator's holiday table (法定节假日 / 调休), loaded from the State Council
    notice; it wins over the library's data and covers years the library does not know."""

    __tablename__ = "holiday_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(100), default="")


class HolidayYear(Base):
    """A year whose whole national schedule the administrator imported: only then is the
    year "known"; a lone local override does not hide a missing notice."""

    __tablename__ = "holiday_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(20))
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
