"""Request validation errors in words a clerk can act on: which field, what is wrong, in
Chinese. The machine-readable parts (loc, type) stay as FastAPI gives them. The body is the
one error shape (``shared.errors``): ``{"detail", "code": "invalid", "errors": [...]}``.

And the building blocks of strict API models (``ApiModel``): ``"50"`` or ``true`` is not a
number, an unknown field is refused, a date is ``YYYY-MM-DD`` text within the years a work
report can name, and no text carries a NUL character (PostgreSQL cannot store one)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from shared.contracts import limits

EARLIEST = dt.date(limits.YEAR_MIN, 1, 1)
LATEST = dt.date(limits.YEAR_MAX, 12, 31)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    """A date is ``YYYY-MM-DD`` text (not a number of seconds, not a time) within the years
    a work report can name: 9999-12-31 is no deadline anyone means."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("date_parsing", "invalid date") from None
    else:
        raise PydanticCustomError("date_parsing", "invalid date")
    if not EARLIEST <= day <= LATEST:
        raise PydanticCustomError(
            "date_out_of_range",
            "date out of range",
            {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )
    return day


# A date in an API model or a query: YYYY-MM-DD, between 1900-01-01 and 2100-12-31.
DAY_PATTERN = r"^(19\d\d|20\d\d|2100)-\d\d-\d\d$"
Day = Annotated[
    dt.date,
    Strict(False),
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN}),
]


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class ApiModel(BaseModel):
    """A request body, strictly: no unknown field, no text standing for a number (``"50"``)
    or a boolean, no number for a boolean (``1``), no NUL character in any text. Dates are
    ``Day``; an enum field takes its value as text (``Annotated[Kind, Strict(False)]``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def no_nul(cls, data: Any) -> Any:
        if has_nul(data):
            raise PydanticCustomError("no_nul", "text must not contain NUL")
        return data


MESSAGES = {
    "missing": "缺少必填项",
    "string_too_short": "不能少于 {min_length} 个字符",
    "string_too_long": "不能超过 {max_length} 个字符",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 YYYY-MM-DDTHH:MM:SS",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "应大于 {gt}",
    "less_than": "应小于 {lt}",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "json_invalid": "请求内容不是合法的 JSON",
    "literal_error": "取值应为 {expected}",
    "enum": "取值应为 {expected}",
    "extra_forbidden": "不允许的字段",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "datetime_type": "时间格式应为 YYYY-MM-DDTHH:MM:SS",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "enum_type": "取值不在允许范围内",
    "literal_type": "取值不在允许范围内",
    "string_unicode": "应为文字",
    "missing_argument": "缺少必填项",
    "unexpected_keyword_argument": "不允许的字段",
    "no_nul": "不能含有空字符（\\u0000）",
    "date_out_of_range": "日期应在 {earliest} 至 {latest} 之间",
    "int_too_big": "数值超出范围",
    "date_from_datetime_inexact": "日期格式应为 YYYY-MM-DD",
    "value_error": "内容有误",
    "too_long_or_short": "长度不符合要求",
}
WHERE = {"body": "请求内容", "query": "查询参数", "path": "路径参数", "header": "请求头"}


def chinese_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    template = MESSAGES.get(kind)
    if template is None:
        return str(error.get("msg", "内容有误"))
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return template


def field_name(loc: tuple[Any, ...]) -> str:
    where = WHERE.get(str(loc[0]), str(loc[0])) if loc else "请求"
    path = ".".join(str(part) for part in loc[1:])
    return f"{where}“{path}”" if path else where


def refusal(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The 422 body of pydantic's errors: one sentence, and one entry per field."""
    entries = []
    for error in errors:
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        entries.append(
            {
                "loc": loc,
                "type": str(error.get("type", "")),
                "msg": chinese_message(error),
                "field": field_name(tuple(loc)),
            }
        )
    summary = "；".join(f"{e['field']}：{e['msg']}" for e in entries)
    return {"detail": f"请求内容有误——{summary}", "code": "invalid", "errors": entries}


async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(refusal(list(exc.errors())), status_code=422)
