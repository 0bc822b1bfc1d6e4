"""Request validation errors in words a clerk can act on: which field, what is wrong, in
Chinese. The machine-readable parts (loc, type) stay as FastAPI gives them."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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


async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = []
    for error in exc.errors():
        message = chinese_message(error)
        details.append(
            {
                "loc": error.get("loc"),
                "type": error.get("type"),
                "msg": message,
                "field": field_name(tuple(error.get("loc", ()))),
            }
        )
    summary = "；".join(f"{d['field']}：{d['msg']}" for d in details)
    return JSONResponse({"detail": details, "message": f"请求内容有误——{summary}"}, status_code=422)
