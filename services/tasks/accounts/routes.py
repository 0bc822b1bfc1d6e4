"""Logging in and out, who am I, and the accounts API.

``GET /login`` and ``POST /login`` are the only routes of the service open without a
credential: a person has none yet. The login form carries its own CSRF token (a signed nonce
in the ``duban_csrf`` cookie and in the form), so another site cannot log a browser into an
account of its choosing; a JSON login needs none (a browser sends JSON to another site only
after a CORS preflight, which no service answers). Every refusal of a login says the same
"用户名或密码不正确", a moment later; a locked account (and a name tried too often) gets 429
with ``Retry-After``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from services.tasks.access.principal import Role
from services.tasks.accounts import service
from services.tasks.accounts.models import DISPLAY, LOGIN, Account
from services.tasks.accounts.page import logged_in_page, login_page
from services.tasks.accounts.throttle import CLIENT_LIMIT, Throttle
from services.tasks.errors import Invalid
from services.tasks.settings import tasks_settings
from shared.contracts import limits
from shared.errors import error_body
from shared.identity import sessions as cookies
from shared.identity.principal import Principal, Unauthorized
from shared.identity.verify import (
    PrincipalDep,
    principal_cache,
    session_cache_key,
    session_principal,
)
from shared.ratelimit import RateLimited, check_rate
from shared.web import SessionsDep

router = APIRouter(tags=["登录与账户"])
PAGE = {"schema": {"type": "string"}}

FAILED = "用户名或密码不正确"
HOME = "/tasks/login"


class Throttles:
    def __init__(self) -> None:
        settings = tasks_settings()
        window = settings.login_lock_minutes * 60
        self.names = Throttle(window, settings.login_max_failures)  # names without an account
        self.clients = Throttle(window, CLIENT_LIMIT)


def _throttles(request: Request) -> Throttles:
    found = getattr(request.app.state, "login_throttles", None)
    if found is None:
        found = request.app.state.login_throttles = Throttles()
    return found


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def local_path(candidate: str | None) -> str:
    """Where a form login goes next: a path of this site only, never another site."""
    if (
        not candidate
        or not candidate.startswith("/")
        or candidate.startswith("//")
        or "\\" in candidate
        or any(ord(c) < 0x21 for c in candidate)
        or len(candidate) > 1000
    ):
        return HOME
    return candidate


def _forget(request: Request, hashes: list[str]) -> None:
    """This process stops accepting the ended sessions at once; the others within 30 s."""
    cache = principal_cache(request.app)
    for hashed in hashes:
        cache.forget(session_cache_key(hashed))


# --- models --------------------------------------------------------------------------------


class LoginIn(BaseModel):
    login: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    login: str
    display_name: str
    role: str
    government_id: str | None
    unit: str | None
    leader: str | None
    disabled: bool
    locked_until: datetime | None = Field(description="锁定到何时（未锁定为空）")
    must_change_password: bool
    password_changed_at: datetime
    created_at: datetime
    created_by: str
    last_login_at: datetime | None


def _out(account: Account) -> AccountOut:
    out = AccountOut.model_validate(account)
    locked = service._aware(account.locked_until)
    if locked is not None and locked <= datetime.now(UTC):
        out.locked_until = None
    return out


class WithPassword(AccountOut):
    password: str | None = Field(description="生成的密码：只显示这一次；自行指定时为空")


class AccountIn(BaseModel):
    login: str = Field(min_length=2, max_length=LOGIN, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = Field(min_length=1, max_length=DISPLAY, description="姓名，如“张三”")
    role: Role = Field(description="admin、supervisor、leader 或 unit")
    government_id: str | None = Field(None, max_length=limits.GOVERNMENT_ID)
    unit: str | None = Field(None, max_length=limits.UNIT_NAME, description="unit 角色必填")
    leader: str | None = Field(None, max_length=limits.LEADER_NAME, description="leader 必填")
    password: str | None = Field(
        None, max_length=1024, description="不填则生成一个（只显示一次）；首次登录后须修改"
    )


class AccountPatch(BaseModel):
    display_name: str | None = Field(None, min_length=1, max_length=DISPLAY)
    disabled: bool | None = Field(None, description="停用（其会话立即终止）或重新启用")


class PasswordReset(BaseModel):
    password: str | None = Field(None, max_length=1024, description="不填则生成一个")


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class Me(BaseModel):
    name: str
    role: str
    role_label: str
    government_id: str | None
    unit: str | None
    leader: str | None
    units: list[str]
    account: AccountOut | None = Field(description="以账户登录时")
    csrf_token: str | None = Field(description="以账户登录时：提交修改须带在 X-CSRF-Token 中")
    session_expires_at: datetime | None


# --- logging in and out --------------------------------------------------------------------


def _current_claims(request: Request) -> cookies.Claims | None:
    cookie = request.cookies.get(cookies.COOKIE)
    if not cookie or request.headers.get("authorization"):
        return None
    try:
        return cookies.read(cookie)
    except cookies.NoSessionKey:
        return None


def _fresh_login_form(next_path: str, error: str | None = None, status: int = 200) -> Response:
    demo = tasks_settings().demo
    if cookies.session_settings().key is None:
        return login_page(None, next_path, error=error, status=status, demo=demo)
    token = cookies.new_login_csrf()
    page = login_page(token, next_path, error=error, status=status, demo=demo)
    cookies.set_login_csrf_cookie(page, token)
    return page


@router.get(
    "/login", summary="登录页（无需凭据）", response_model=None, response_class=HTMLResponse
)
async def login_form(request: Request, next: str | None = None) -> Response:
    claims = _current_claims(request)
    if claims is not None:
        try:
            cookie = request.cookies[cookies.COOKIE]
            principal = await session_principal(request, Response(), cookie)
        except Unauthorized:
            pass
        else:
            return logged_in_page(principal.name, principal.role.label, cookies.csrf_token(claims))
    return _fresh_login_form(local_path(next))


def _login(sessions: sessionmaker[Session], login: str, password: str, client: str):
    with sessions.begin() as session:
        return service.password_login(session, login, password, client)


def _refused(form: bool, next_path: str, message: str, status: int, retry: int = 0) -> Response:
    headers = {"Retry-After": str(retry)} if retry else {}
    if form:
        page = _fresh_login_form(next_path, message, status)
        page.headers.update(headers)
        return page
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def _locked_message(retry: int) -> str:
    return f"登录失败次数过多，请 {max(1, (retry + 59) // 60)} 分钟后再试"


@router.post(
    "/login",
    summary="登录（表单或 JSON：login、password；无需凭据）",
    response_model=None,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": LoginIn.model_json_schema()},
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "login": {"type": "string"},
                            "password": {"type": "string"},
                            "csrf_token": {"type": "string"},
                            "next": {"type": "string"},
                        },
                        "required": ["login", "password", "csrf_token"],
                    }
                },
            },
            "required": True,
        },
        "responses": {
            "303": {"description": "表单登录成功，转到 next 所指页面"},
            # a form is answered with the login page again, saying what went wrong
            **{str(s): {"content": {"text/html": PAGE}} for s in (401, 403, 422, 429, 503)},
        },
    },
)
async def login(request: Request, sessions: SessionsDep) -> Response:
    form = request.headers.get("content-type", "").startswith(cookies._FORMS)
    next_path = HOME
    if form:
        data = await request.form()
        values = {k: v for k, v in data.items() if isinstance(v, str)}
        next_path = local_path(values.get("next"))
        if not cookies.login_csrf_ok(
            request.cookies.get(cookies.CSRF_COOKIE), values.get(cookies.CSRF_FIELD)
        ):
            return _refused(True, next_path, "页面已过期，请重新登录", 403)
        try:
            body = LoginIn.model_validate(values)
        except ValidationError:
            return _refused(True, next_path, "请填写登录名和密码", 422)
    else:
        try:
            body = LoginIn.model_validate_json(await request.body())
        except ValidationError:
            message = "请求体须为 JSON：login、password"
            return JSONResponse(error_body(422, message), status_code=422)
    if cookies.session_settings().key is None:
        return _refused(form, next_path, "未配置会话密钥 DUBAN_SESSION_KEY，暂不能登录", 503)
    try:
        await check_rate(request, "login", credential=body.login)
    except RateLimited as limited:
        retry = int(limited.headers["Retry-After"]) if limited.headers else 60
        return _refused(form, next_path, limited.detail["message"], 429, retry)
    settings, throttles, client = tasks_settings(), _throttles(request), _client(request)
    waiting = max(throttles.clients.retry_after(client), throttles.names.retry_after(body.login))
    if waiting:
        await asyncio.sleep(settings.login_failure_delay_s)
        return _refused(form, next_path, _locked_message(waiting), 429, waiting)
    result = await run_in_threadpool(_login, sessions, body.login, body.password, client)
    _forget(request, result.ended)
    if result.claims is None:
        throttles.clients.failed(client)
        retry = result.retry_after
        if result.account is None:
            throttles.names.failed(body.login)
            retry = throttles.names.retry_after(body.login)
        await asyncio.sleep(settings.login_failure_delay_s)  # not a worker thread
        if retry:
            return _refused(form, next_path, _locked_message(retry), 429, retry)
        return _refused(form, next_path, FAILED, 401)
    response: Response
    if form:
        response = RedirectResponse(next_path, 303, headers={"Cache-Control": "no-store"})
    else:
        me = await run_in_threadpool(_me_of_claims, sessions, result.claims)
        response = JSONResponse(me.model_dump(mode="json"), headers={"Cache-Control": "no-store"})
    cookies.set_session_cookies(response, result.claims)
    return response


def _me_of_claims(sessions: sessionmaker[Session], claims: cookies.Claims) -> Me:
    with sessions() as session:
        return _me(session, claims.principal(), claims)


def _me(session: Session, principal: Principal, claims: cookies.Claims | None) -> Me:
    account = session.get(Account, principal.account_id) if principal.account_id else None
    return Me(
        name=principal.name,
        role=principal.role,
        role_label=principal.role.label,
        government_id=principal.government_id,
        unit=principal.unit,
        leader=principal.leader,
        units=list(principal.units),
        account=_out(account) if account else None,
        csrf_token=cookies.csrf_token(claims) if claims else None,
        session_expires_at=datetime.fromtimestamp(claims.exp, UTC) if claims else None,
    )


@router.post("/logout", summary="退出登录（结束当前会话）", response_model=None)
async def logout(request: Request, principal: PrincipalDep, sessions: SessionsDep) -> Response:
    claims = _current_claims(request) if principal.account_id is not None else None
    if claims is not None:

        def end() -> str | None:
            with sessions.begin() as session:
                return service.logout(session, claims)

        hashed = await run_in_threadpool(end)
        _forget(request, [hashed] if hashed else [])
    form = request.headers.get("content-type", "").startswith(cookies._FORMS)
    response: Response
    if form:
        response = RedirectResponse(HOME, status_code=303)
    else:
        response = JSONResponse({"detail": "已退出登录"})
    cookies.clear_session_cookies(response)
    return response


@router.get("/me", summary="当前身份（令牌或登录账户）")
def me(request: Request, principal: PrincipalDep, sessions: SessionsDep) -> Me:
    claims = _current_claims(request) if principal.account_id is not None else None
    with sessions() as session:
        return _me(session, principal, claims)


@router.post("/me/password", summary="修改自己的密码（须原密码；其他会话随之结束）")
def change_password(
    body: PasswordChange,
    request: Request,
    response: Response,
    principal: PrincipalDep,
    sessions: SessionsDep,
) -> Me:
    with sessions.begin() as session:
        account, ended, wrong = service.change_own_password(
            session, principal, body.old_password, body.new_password
        )
        if wrong is None:
            claims = service.start_session(
                session, account, method="password", client=_client(request)
            )
            me = _me(session, claims.principal(), claims)
    _forget(request, ended)
    if wrong is not None:  # the failure is counted (committed) all the same
        raise Invalid(wrong)
    cookies.set_session_cookies(response, claims)
    return me


# --- managing accounts ---------------------------------------------------------------------


@router.post("/accounts", status_code=201, summary="开设账户（密码只显示一次）")
def create(body: AccountIn, principal: PrincipalDep, sessions: SessionsDep) -> WithPassword:
    with sessions.begin() as session:
        account, plain = service.create_account(
            session, principal, **body.model_dump(exclude={"password"}), password=body.password
        )
        return WithPassword(**_out(account).model_dump(), password=plain)


@router.get("/accounts", summary="账户列表（不含密码）")
def list_accounts(principal: PrincipalDep, sessions: SessionsDep) -> list[AccountOut]:
    with sessions() as session:
        return [_out(a) for a in service.list_accounts(session, principal)]


@router.patch("/accounts/{account_id}", summary="修改姓名、停用或启用账户")
def update(
    account_id: int,
    body: AccountPatch,
    request: Request,
    principal: PrincipalDep,
    sessions: SessionsDep,
) -> AccountOut:
    with sessions.begin() as session:
        account = service.managed(session, principal, account_id)
        ended = service.update_account(session, principal, account, **body.model_dump())
        out = _out(account)
    _forget(request, ended)
    return out


@router.post(
    "/accounts/{account_id}/password",
    summary="重置密码（解除锁定，结束其全部会话；生成的密码只显示一次）",
)
def reset_password(
    account_id: int,
    body: PasswordReset,
    request: Request,
    principal: PrincipalDep,
    sessions: SessionsDep,
) -> WithPassword:
    with sessions.begin() as session:
        account = service.managed(session, principal, account_id)
        plain, ended = service.reset_password(session, principal, account, body.password)
        out = WithPassword(**_out(account).model_dump(), password=plain)
    _forget(request, ended)
    return out
