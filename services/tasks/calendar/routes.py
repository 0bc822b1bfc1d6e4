"""The working-day calendar: what each year is based on, and importing a new year."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from services.tasks.access.principal import Role, require_role
from services.tasks.calendar import CalendarDataError
from services.tasks.calendar.store import clear_cache, import_year, load_calendar
from services.tasks.errors import Conflict
from shared.bodylimit import body_limit, import_limit
from shared.contracts import limits
from shared.identity.verify import PrincipalDep
from shared.web import SessionsDep

router = APIRouter(prefix="/calendar", tags=["节假日与工作日"])


class YearOut(BaseModel):
    year: int
    status: str = Field(description="admin 已导入；library 内置数据；unknown 仅按周末计算")
    warnings: list[str]
    holidays: list[date]
    workdays_on_weekends: list[date] = Field(description="调休上班的周末")


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Conflict("无法识别文件编码，请以 UTF-8 文本提交")


@router.get("/{year}", summary="某年的工作日依据与节假日")
def get_year(
    year: Annotated[int, Path(ge=limits.YEAR_MIN, le=limits.YEAR_MAX, description="年份")],
    _principal: PrincipalDep,
    sessions: SessionsDep,
) -> YearOut:
    with sessions() as session:
        calendar = load_calendar(session)
    days = [date(year, 1, 1) + timedelta(n) for n in range(366)]
    days = [d for d in days if d.year == year]
    return YearOut(
        year=year,
        status=calendar.year_status(year),
        warnings=calendar.warnings_for([year]),
        holidays=[d for d in days if d.weekday() < 5 and not calendar.is_workday(d)],
        workdays_on_weekends=[d for d in days if d.weekday() >= 5 and calendar.is_workday(d)],
    )


CALENDAR_BODY = {
    "requestBody": {
        "required": True,
        "description": "国务院办公厅关于某年部分节假日安排的通知原文，或 CSV（date,kind,note）",
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.put(
    "",
    summary="导入一年的节假日安排（国务院办公厅通知原文，或 CSV：date,kind,note）",
    openapi_extra=CALENDAR_BODY,
)
@body_limit(import_limit)
async def import_calendar(
    request: Request, principal: PrincipalDep, sessions: SessionsDep
) -> dict[str, int]:
    require_role(principal, Role.ADMIN)
    text = _decode(await request.body())
    try:
        with sessions.begin() as session:
            year, days = import_year(session, text, principal.name)
    except CalendarDataError as exc:
        raise Conflict(f"节假日安排未能导入：{exc}") from None
    clear_cache()  # this process uses the new year at once; others within a minute
    return {"year": year, "days": days}
