"""One shape for every error a service answers, and its declaration in every OpenAPI.

Every 4xx and 5xx body is ``{"detail": "<中文说明>", "code": "<machine code>", ...}``:
``detail`` is one sentence a clerk can act on, ``code`` what a program branches on. A
validation error (422) adds ``errors``, one entry per field (``loc``, ``type``, ``msg``,
``field``); other errors may add fields of their own (intake's ``problems``, readiness's
``checks``). docs/errors.md lists the codes.

``declare_errors`` adds, to each operation of an app's OpenAPI, the statuses it can answer
with this body, so a client (and schemathesis) knows them all:

* 401 and 403 on every route but /healthz and /readyz (a token, or the operator token);
* 404 on routes with a path parameter, and on any route that reads one record by a query;
* 409 on every route that changes something (POST, PUT, PATCH, DELETE);
* 413 and 422 on routes with a body, 422 on routes with any parameter;
* 429 on every POST (uploads, pushes, token issuance and log-ins are rate-limited);
* 503 on every route (the database or the bus is unreachable: try again).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}

DESCRIPTIONS: dict[int, str] = {
    401: "缺少令牌，或令牌无效、已吊销、已过期（code: unauthorized）",
    403: "令牌有效，但无权进行此操作（code: forbidden）",
    404: "没有这项记录（code: not_found）",
    409: "当前状态下不允许此操作（code: conflict 等）",
    413: "请求内容过大（code: too_large）",
    422: "请求内容有误：errors 列出每个字段的问题（code: invalid 等）",
    429: "请求过于频繁，请按 Retry-After 稍后再试（code: rate_limited）",
    503: "数据库或消息总线暂时不可用，请按 Retry-After 稍后重试（code: unavailable）",
}


def code_for(status: int) -> str:
    """The machine code of an error that names none, from its status."""
    if status in CODES:
        return CODES[status]
    return "internal" if status >= 500 else "bad_request"


class FieldError(BaseModel):
    """One field's problem in a refused request."""

    loc: list[str | int] = Field(description="位置：body/query/path/header，再到字段")
    type: str = Field(description="问题类型（机器可读），如 missing、string_too_long")
    msg: str = Field(description="中文说明")
    field: str = Field(description="中文的位置说明，如 请求内容“percent”")


class ErrorBody(BaseModel):
    """Every error's body. More fields may follow, per ``code``."""

    model_config = ConfigDict(extra="allow", title="ErrorBody")

    detail: str = Field(description="中文说明，一句话")
    code: str = Field(description="机器可读的错误代码，见 docs/errors.md")
    errors: list[FieldError] | None = Field(None, description="仅 422：每个字段的问题")


def error_body(status: int, detail: Any) -> dict[str, Any]:
    """The body of an ``HTTPException``'s detail, whatever its form: a string, or a dict
    ``{"code", "message", ...}`` (its other keys kept), or anything else (stringified)."""
    if isinstance(detail, dict) and "message" in detail:
        rest = {k: v for k, v in detail.items() if k not in ("message", "code", "detail")}
        code = str(detail.get("code") or code_for(status))
        return {"detail": str(detail["message"]), "code": code} | rest
    if detail is None or detail == "":
        detail = DESCRIPTIONS.get(status, "请求未能完成")
    return {"detail": str(detail), "code": code_for(status)}


# Routes every client may call without a token, answered by the runtime.
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
CHANGES = frozenset({"post", "put", "patch", "delete"})
METHODS = frozenset({"get", "head", "options", "trace"}) | CHANGES


def statuses_of(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer (see the module's docstring)."""
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    found = {503}
    if path not in OPEN_PATHS:
        found |= {401, 403}
    if any(p.get("in") == "path" for p in parameters):
        found.add(404)
    if method in CHANGES:
        found |= {404, 409}
    if has_body:
        found |= {413, 422}
    if parameters:
        found.add(422)
    if method == "post":
        found.add(429)
    return found


def declare_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the ErrorBody schema and every operation's error statuses to an OpenAPI document;
    the 422 FastAPI declares (its own ``HTTPValidationError``) becomes an ``ErrorBody``."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    body_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(body_schema.pop("$defs", {}))
    components["ErrorBody"] = body_schema
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses_of(path, method, operation)):
                declared = responses.setdefault(str(status), {})
                declared.setdefault("description", DESCRIPTIONS.get(status, "错误"))
                # JSON, beside what the route itself declares (a form's answer is a page)
                declared.setdefault("content", {})["application/json"] = {"schema": ref}
    return schema


def with_declared_errors(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """An ``app.openapi`` that declares every operation's errors (built once, then kept)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = declare_errors(schema)
        return app.openapi_schema

    return openapi
