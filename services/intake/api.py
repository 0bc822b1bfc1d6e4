"""Intake's HTTP API: upload or push a notice, review and correct its draft, publish it.

Only the bureau (a supervisor of the document's government, or the administrator) takes in,
reads, corrects and publishes notices; an OA system (an integration token) pushes them, its
signed webhook a second factor. Another government's document is not found (404): its
existence is not revealed."""

from __future__ import annotations

import time
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.intake import publishing, service, signing
from services.intake.filenames import clean_filename
from services.intake.models import Document, OaReceipt
from services.intake.parsing import ParseError
from services.intake.readers import ReadError
from services.intake.schemas import DocumentOut, DocumentSummary, PublishOut, document_out
from services.intake.service import (
    DocumentIn,
    DraftTaskPatch,
    NotFound,
    OutOfBounds,
    Refused,
    TooManyTasks,
)
from services.intake.settings import IntakeSettings, intake_settings
from shared.bodylimit import Limit, body_limit, human
from shared.contracts import limits
from shared.identity.principal import Forbidden, Principal, Role, require_role, scoped_government
from shared.identity.verify import PrincipalDep
from shared.ratelimit import rate_limit
from shared.web import SessionsDep

router = APIRouter(prefix="/documents", tags=["文件"])
oa_router = APIRouter(prefix="/oa", tags=["OA 对接"])
SettingsDep = Annotated[IntakeSettings, Depends(intake_settings)]
Government = Annotated[
    str | None,
    Query(max_length=limits.GOVERNMENT_ID, description="政府（租户）标识；管理员之外只能是本政府"),
]
DEFAULT_GOVERNMENT = "default"  # the administrator's, when none is named (a single county)


def government_for(principal: Principal, named: str | None) -> str:
    """The government a notice is taken in for: the caller's own; the administrator's the
    one named. Naming another government is refused, never silently replaced."""
    return scoped_government(principal, named) or DEFAULT_GOVERNMENT


async def bureau_member(principal: PrincipalDep) -> Principal:
    """Notices are the bureau's: units, leaders and OA systems are refused here."""
    require_role(principal, Role.SUPERVISOR)
    return principal


BureauDep = Annotated[Principal, Depends(bureau_member)]


# -- how much a request may bring (shared.bodylimit refuses more while it streams in) ------

MULTIPART_OVERHEAD = 64 * 1024  # the form's boundaries and part headers around the file
JSON_PER_CHAR = 6  # a character of the text as JSON may take: \uXXXX


def _settings_of(app: Any) -> IntakeSettings:
    """The settings the routes get (a test overrides the dependency)."""
    overrides = getattr(app, "dependency_overrides", {})
    return overrides.get(intake_settings, intake_settings)()


def upload_limit(app: Any) -> Limit:
    settings = _settings_of(app)
    message = f"文件超过 {settings.max_upload_mb:g} MB 的上限，请压缩或拆分后再上传。"
    return Limit(settings.max_upload_bytes + MULTIPART_OVERHEAD, message)


def push_limit(app: Any) -> Limit:
    settings = _settings_of(app)
    message = f"推送的文件超过 {settings.max_upload_mb:g} MB 的上限，请压缩或拆分后再推送。"
    return Limit(settings.max_upload_bytes, message)


def text_limit(app: Any) -> Limit:
    settings = _settings_of(app)
    size = settings.max_notice_chars * JSON_PER_CHAR + MULTIPART_OVERHEAD
    message = (
        f"提交的内容超过 {human(size)} 的上限：通知全文最多 {settings.max_notice_chars} 字，"
        "请拆分后分别提交。"
    )
    return Limit(size, message)


class TextIn(BaseModel):
    text: str = Field(min_length=1, description="通知全文")
    filename: str = Field("", max_length=300, description="来源文件名（可选）")


def _http_error(exc: Exception) -> HTTPException:
    if isinstance(exc, ReadError):
        code = 413 if exc.code == "too_large" else 422
        return HTTPException(code, {"code": exc.code, "message": exc.message})
    if isinstance(exc, ParseError):
        return HTTPException(422, {"code": "not_a_notice", "message": str(exc)})
    if isinstance(exc, TooManyTasks):
        return HTTPException(422, {"code": "too_many_tasks", "message": str(exc)})
    if isinstance(exc, NotFound):
        return HTTPException(404, str(exc))
    if isinstance(exc, OutOfBounds):
        detail = {"code": "out_of_bounds", "message": str(exc), "problems": exc.problems}
        return HTTPException(422, detail)
    return HTTPException(409, str(exc))


def _ingest(
    sessions: sessionmaker[Session],
    data: bytes,
    filename: str,
    source: str,
    settings: IntakeSettings,
    government: str,
    actor: str,
) -> tuple[str, bool]:
    for attempt in range(2):
        try:
            with sessions.begin() as session:
                document, created = service.ingest(
                    session,
                    data,
                    filename,
                    source,
                    settings.max_upload_bytes,
                    government,
                    actor,
                    max_chars=settings.max_notice_chars,
                    max_tasks=settings.max_tasks,
                )
                return document.id, created
        except IntegrityError:
            if attempt:  # the same bytes were stored by a parallel upload: read them back
                raise
    raise AssertionError("unreachable")


async def _take_in(
    sessions: sessionmaker[Session],
    data: bytes,
    filename: str,
    source: str,
    settings: IntakeSettings,
    response: Response,
    government: str,
    actor: str,
) -> DocumentOut:
    try:
        document_id, created = await _ingest_in_thread(
            sessions, data, filename, source, settings, government, actor
        )
    except (ReadError, ParseError, TooManyTasks) as exc:
        raise _http_error(exc) from None
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return await run_in_threadpool(_read_document, sessions, document_id)


async def _ingest_in_thread(
    sessions: sessionmaker[Session],
    data: bytes,
    filename: str,
    source: str,
    settings: IntakeSettings,
    government: str,
    actor: str,
) -> tuple[str, bool]:
    args = (sessions, data, clean_filename(filename), source, settings, government, actor)
    return await run_in_threadpool(_ingest, *args)


def _read_document(sessions: sessionmaker[Session], document_id: str) -> DocumentOut:
    with sessions() as session:
        try:
            return document_out(session, document_id)
        except NotFound as exc:
            raise _http_error(exc) from None


def _check_visible(session: Session, principal: Principal, document_id: str) -> None:
    """404 for a document of another government, as for one that does not exist."""
    document = session.get(Document, document_id)
    if document is None or not principal.sees_government(document.government_id):
        raise _http_error(NotFound(f"找不到文件 {document_id}"))


async def _read_body(request: Request, limit: Limit) -> bytes:
    """The raw body, read no further than ``limit`` (the middleware enforces it too)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit.size:
            raise HTTPException(413, {"code": "too_large", "message": limit.message})
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("", summary="文件列表（本政府的；管理员可指定政府）")
def list_documents(
    principal: BureauDep, sessions: SessionsDep, government: Government = None
) -> list[DocumentSummary]:
    scope = scoped_government(principal, government)
    with sessions() as session:
        found = service.list_documents(session, scope)
        return [DocumentSummary.model_validate(d) for d in found]


@router.post("", status_code=status.HTTP_201_CREATED, summary="按结构化数据新建文件草稿")
def create_document(body: DocumentIn, principal: BureauDep, sessions: SessionsDep) -> DocumentOut:
    if not principal.sees_government(body.government_id):
        raise Forbidden("无权为其他政府新建文件")
    with sessions.begin() as session:
        document = service.create_document(session, body, principal.name)
        session.flush()
        return document_out(session, document.id)


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "通知文件：txt（UTF-8 或 GB18030）、docx、pdf、ofd",
                    }
                },
            }
        }
    },
}


@router.post(
    "/upload",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentOut,
    summary="上传通知文件（txt、docx、pdf、ofd），解析为任务草稿；同一文件重复上传返回原文件",
    dependencies=[rate_limit("upload")],
    openapi_extra={"requestBody": UPLOAD_BODY},
)
@body_limit(upload_limit)
async def upload_document(
    request: Request,
    principal: BureauDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    response: Response,
    government: Government = None,
) -> DocumentOut:
    into = government_for(principal, government)
    try:
        form = await request.form(max_files=1, max_fields=4)
    except StarletteHTTPException as refused:  # its 400 for a malformed or overfull form
        message = "上传内容不是有效的表单（multipart/form-data，仅一个文件字段 file）。"
        raise HTTPException(422, {"code": "bad_form", "message": message}) from refused
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        message = "请选择要上传的文件（字段名 file）。"
        raise HTTPException(422, {"code": "no_file", "message": message})
    data = await upload.read(settings.max_upload_bytes + 1)
    name = upload.filename or ""
    return await _take_in(sessions, data, name, "upload", settings, response, into, principal.name)


@router.post(
    "/text",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentOut,
    summary="粘贴通知全文，解析为任务草稿",
    dependencies=[rate_limit("upload")],
)
@body_limit(text_limit)
async def paste_text(
    body: TextIn,
    principal: BureauDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    response: Response,
    government: Government = None,
) -> DocumentOut:
    into = government_for(principal, government)
    if len(body.text) > settings.max_notice_chars:
        message = (
            f"通知全文有 {len(body.text)} 字，超过 {settings.max_notice_chars} 字的上限。"
            "请只提交任务分解通知的正文，或拆分后分别提交。"
        )
        raise HTTPException(413, {"code": "too_large", "message": message})
    data = body.text.encode("utf-8")
    return await _take_in(
        sessions, data, body.filename, "text", settings, response, into, principal.name
    )


@router.get("/{document_id}", summary="查看文件及其任务草稿、警告和更正对比")
def get_document(document_id: str, principal: BureauDep, sessions: SessionsDep) -> DocumentOut:
    with sessions() as session:
        _check_visible(session, principal, document_id)
    return _read_document(sessions, document_id)


@router.patch("/{document_id}/tasks/{position}", summary="修改草稿中的一项任务")
def edit_task(
    document_id: str,
    position: int,
    body: DraftTaskPatch,
    principal: BureauDep,
    sessions: SessionsDep,
) -> DocumentOut:
    try:
        with sessions.begin() as session:
            _check_visible(session, principal, document_id)
            service.edit_task(session, document_id, position, body)
    except (NotFound, Refused) as exc:
        raise _http_error(exc) from None
    return _read_document(sessions, document_id)


@router.delete("/{document_id}", summary="丢弃草稿（留下谁、何时丢弃；同一文件可重新上传）")
def discard_document(
    document_id: str, principal: BureauDep, sessions: SessionsDep
) -> DocumentSummary:
    try:
        with sessions.begin() as session:
            _check_visible(session, principal, document_id)
            document = service.discard(session, document_id, principal.name)
            return DocumentSummary.model_validate(document)
    except (NotFound, Refused) as exc:
        raise _http_error(exc) from None


@router.post("/{document_id}/publish", summary="发布：每项任务发出 task.defined 事件")
def publish_document(document_id: str, principal: BureauDep, sessions: SessionsDep) -> PublishOut:
    try:
        with sessions.begin() as session:
            _check_visible(session, principal, document_id)
            count = publishing.publish_document(session, document_id, principal.name)
    except (NotFound, Refused) as exc:
        raise _http_error(exc) from None
    return PublishOut(document_id=document_id, published_tasks=count)


PUSH_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "application/octet-stream": {
                "schema": {
                    "type": "string",
                    "format": "binary",
                    "description": "通知文件的原始字节",
                }
            }
        },
    },
    "parameters": [
        {
            "name": "X-Duban-Timestamp",
            "in": "header",
            "required": True,
            "description": "Unix 秒数；与服务器时钟相差不得超过 DUBAN_INTAKE_OA_REPLAY_WINDOW_S",
            "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
        },
        {
            "name": "X-Duban-Signature",
            "in": "header",
            "required": True,
            "description": "十六进制 HMAC-SHA256，签名串见 README",
            "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
        },
        {
            "name": "X-Duban-Government",
            "in": "header",
            "required": False,
            "description": "政府（租户）标识；参与签名",
            "schema": {"type": "string", "maxLength": limits.GOVERNMENT_ID},
        },
        {
            "name": "X-Duban-Filename",
            "in": "header",
            "required": False,
            "description": "文件名，百分号编码（UTF-8）；参与签名（按发送的原样）",
            "schema": {"type": "string", "maxLength": 1000},
        },
    ],
}


@oa_router.post(
    "/documents",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentOut,
    summary="OA 系统推送通知文件（OA 令牌，且时间戳、政府、文件名与原始字节带 HMAC-SHA256 签名）",
    dependencies=[rate_limit("push")],
    openapi_extra=PUSH_OPENAPI,
)
@body_limit(push_limit)
async def oa_push(
    request: Request,
    principal: PrincipalDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    response: Response,
) -> Any:
    """Everything but the signature over the body is checked before the body is read: the
    token's role, the government named, the timestamp's window and the signature's form. A
    replay of a push (same signature) within its window gets the first answer."""
    require_role(principal, Role.INTEGRATION)
    named = request.headers.get("x-duban-government")
    into = government_for(principal, named[: limits.GOVERNMENT_ID] if named else None)
    secret = settings.oa_webhook_secret
    if secret is None:
        message = "未配置 OA 推送密钥（DUBAN_INTAKE_OA_WEBHOOK_SECRET），推送接口未启用。"
        raise HTTPException(503, message)
    now = time.time()
    try:
        stamp, signature = signing.check_headers(
            request.headers.get("x-duban-timestamp"),
            request.headers.get("x-duban-signature"),
            now,
            settings.oa_replay_window_s,
        )
    except signing.BadSignature as exc:
        raise HTTPException(401, f"推送未通过验证：{exc}") from None
    body = await _read_body(request, push_limit(request.app))
    sent_name = request.headers.get("x-duban-filename", "")
    try:
        signing.verify(
            secret.get_secret_value(),
            stamp,
            signature,
            body,
            government=(named or "").encode("latin-1"),  # as sent: the bytes of the header
            filename=sent_name.encode("latin-1"),
        )
    except signing.BadSignature as exc:
        raise HTTPException(401, f"推送未通过验证：{exc}") from None
    key = signing.receipt_key(signature)
    answered = await run_in_threadpool(_receipt, sessions, key, int(now))
    if answered is None:
        filename = unquote(sent_name)
        document = await _take_in(
            sessions, body, filename, "oa", settings, response, into, principal.name
        )
        expires = int(stamp) + settings.oa_replay_window_s
        answered = await run_in_threadpool(
            _keep_receipt, sessions, key, response.status_code or 201, document.id, expires
        )
    status_code, document_id = answered
    response.status_code = status_code
    return await run_in_threadpool(_read_document, sessions, document_id)


def _receipt(sessions: sessionmaker[Session], key: str, now: int) -> tuple[int, str] | None:
    """The answer already given to this push, if it was pushed before; receipts whose push
    could no longer be replayed are dropped."""
    with sessions.begin() as session:
        session.execute(delete(OaReceipt).where(OaReceipt.expires_at < now))
        found = session.get(OaReceipt, key)
        return (found.status, found.document_id) if found else None


def _keep_receipt(
    sessions: sessionmaker[Session], key: str, status_code: int, document_id: str, expires: int
) -> tuple[int, str]:
    """Keep the answer; when the same push raced this one and was answered first, its
    answer is the one given (the document is the same: the same bytes)."""
    try:
        with sessions.begin() as session:
            receipt = OaReceipt(
                signature_hash=key, status=status_code, document_id=document_id, expires_at=expires
            )
            session.add(receipt)
        return status_code, document_id
    except IntegrityError:
        with sessions() as session:
            found = session.get(OaReceipt, key)
            if found is None:
                raise
            return found.status, found.document_id
