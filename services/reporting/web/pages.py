"""The dashboard's pages: overview with charts and filters, a unit, a task's timeline, and
the intake page. Each page is scoped exactly as its JSON twin (``scope_of``: another
government is 403; a unit sees its own tasks), is declared in the OpenAPI as ``text/html``
so that the authorisation matrix and the fuzzer cover it, and sends a browser without a
session to the login page."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from services.reporting.api import AsOf, DocumentId, Government, Period, TaskId, _task, today
from services.reporting.views import lists
from services.reporting.views.scope import scope_of
from services.reporting.web import assets
from services.reporting.web.auth import ViewerDep, to_login
from services.reporting.web.figures import Filters, board, choices
from shared.contracts import limits
from shared.identity.principal import BUREAU, Forbidden, Principal, Role, require_role
from shared.identity.sessions import CSRF_COOKIE, CSRF_HEADER
from shared.web import SessionsDep

BEIJING = ZoneInfo("Asia/Shanghai")

HERE = FilePath(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["bj"] = lambda moment, pattern="%Y-%m-%d %H:%M": (
    moment.astimezone(BEIJING).strftime(pattern) if moment else ""
)
router = APIRouter(prefix="/dashboard", tags=["督查工作台（网页）"])

PAGE = {
    "response_class": HTMLResponse,
    "response_model": None,
    "responses": {
        200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "网页"},
        303: {"description": "未登录的浏览器转到登录页"},
    },
}
# Scripts and styles of this site only (the figures ride in a JSON element, not a script);
# ECharts sets inline styles on what it draws. No frames, never cached.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
Leader = Annotated[str | None, Query(max_length=limits.LEADER_NAME, description="责任领导")]


def _render(request: Request, name: str, who: Principal, **context: Any) -> HTMLResponse:
    context |= {
        "who": who,
        "bureau": who.role in BUREAU,
        "documents_allowed": who.role in (*BUREAU, Role.LEADER),
        "charts_available": assets.vendored("echarts.min.js") is not None,
        "csrf": request.cookies.get(CSRF_COOKIE, ""),
        "csrf_cookie": CSRF_COOKIE,
        "csrf_header": CSRF_HEADER,
    }
    return templates.TemplateResponse(request, name, context, headers=HEADERS)


@router.get("", summary="督查工作台：总览、图表、逾期清单、单位排名（网页）", **PAGE)
def dashboard(
    request: Request,
    who: ViewerDep,
    sessions: SessionsDep,
    government: Government = None,
    document_id: DocumentId = None,
    leader: Leader = None,
    period: Period = None,
    as_of: AsOf = None,
) -> Response:
    if who is None:
        return to_login(request)
    scope = scope_of(who, government)
    filters = Filters(government, document_id, leader, period)
    day = as_of or today()
    with sessions() as session:
        found = board(session, scope, day, filters)
        offered = choices(session, scope, day)
    return _render(request, "dashboard.html", who, f=filters, b=found, c=offered)


@router.get("/units/{unit}", summary="一个单位的任务和最新进展（网页）", **PAGE)
def unit_page(
    request: Request,
    who: ViewerDep,
    sessions: SessionsDep,
    unit: Annotated[str, Path(max_length=limits.UNIT_NAME)],
    government: Government = None,
    as_of: AsOf = None,
) -> Response:
    if who is None:
        return to_login(request)
    scope = scope_of(who, government)
    if scope.units is not None and unit not in scope.units:
        raise Forbidden("只能查看本单位的任务")
    from services.reporting.views.snapshot import snapshot

    with sessions() as session:
        detail = lists.unit_detail(snapshot(session, scope, as_of or today()), unit)
    return _render(request, "unit.html", who, d=detail, government=government)


@router.get("/tasks/{task_id}", summary="一项任务：各单位进展与时间线（网页）", **PAGE)
def task_page(
    request: Request, who: ViewerDep, sessions: SessionsDep, task_id: TaskId, as_of: AsOf = None
) -> Response:
    if who is None:
        return to_login(request)
    with sessions() as session:
        snap, found = _task(session, who, task_id, as_of)
        detail = lists.detail(session, snap, found)
    return _render(request, "task.html", who, d=detail)


@router.get("/intake", summary="录入通知：上传、粘贴、OA 推送的文件列表（网页，督查部门）", **PAGE)
def intake_page(request: Request, who: ViewerDep) -> Response:
    if who is None:
        return to_login(request)
    require_role(who, Role.SUPERVISOR)
    return _render(request, "intake.html", who)


@router.get(
    "/intake/{document_id}", summary="审核通知：原文、解析草稿、警告、更正与发布（网页）", **PAGE
)
def intake_document_page(
    request: Request,
    who: ViewerDep,
    document_id: Annotated[str, Path(max_length=limits.UUID)],
) -> Response:
    if who is None:
        return to_login(request)
    require_role(who, Role.SUPERVISOR)
    return _render(request, "intake_document.html", who, document_id=document_id)


@router.get("/assets/{name}", include_in_schema=False)
def asset(who: ViewerDep, name: Annotated[str, Path(max_length=64)]) -> Response:
    """The pages' own scripts and styles, and the vendored ones fetched at install time."""
    if who is None:
        raise HTTPException(401, "请先登录")
    found = assets.find(name)
    if found is None:
        raise HTTPException(404, "没有这个文件")
    return FileResponse(found, headers={"Cache-Control": "private, max-age=3600"})
