"""The one record every source of holiday data is reduced to.

Administrators' table rows, the State Council notice and the CSV data file all become
``Override`` values, so ``WorkCalendar`` has a single input type whatever the origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Kind = Literal["holiday", "workday"]
KINDS: tuple[Kind, ...] = ("holiday", "workday")


class CalendarDataError(ValueError):
    """Holiday data that cannot be trusted; the message is Chinese and shown to administrators."""


@dataclass(frozen=True, slots=True)
class Override:
    """One date forced to be a holiday (放假) or a make-up workday (调休上班).

    ``note`` says why (e.g. "春节"), so an administrator reading the table later knows
    where the row came from.
    """

    date: date
    kind: Kind
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise CalendarDataError(f"{self.date}：类型“{self.kind}”无效，应为 holiday 或 workday")
