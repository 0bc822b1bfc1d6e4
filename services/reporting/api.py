"""The reporting service's HTTP API: the supervision views and documents, every one of one
government: the caller's own (the administrator's: the one named, or every government).
Supervisors and leaders see their government's figures; a unit (or the OA system mapped to
it) the figures of its own tasks and the published ranking. Documents that name units (the
circular, the orders) and the changes (the ranking rule, the digests) are the bureau's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from services.reporting import rules
from services.reporting.digest import request_digests
from services.reporting.documents.circular import circular
from services.reporting.documents.ledger import ledger
from services.reporting.documents.orders import order
from services.reporting.models import DocumentView, RankingRule
from services.reporting.views import lists
from services.reporting.views.overview import Overview, overview
from services.reporting.views.ranking import Ranking, ranking, rule_of
from services.reporting.views.scope import Scope, scope_of
from services.reporting.views.snapshot import Snapshot, snapshot
from shared.contracts import limits
from shared.identity.principal import BUREAU, Forbidden, Principal, Role, require_role
from shared.identity.verify import PrincipalDep
from shared.validation import ApiModel, Day
from shared.web import SessionsDep

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

router = APIRouter(tags=["督查视图"])

Government = Annotated[
    str | None, Query(max_length=limits.GOVERNMENT_ID, description="管理员可指定政府")
]
AsOf = Annotated[Day | None, Query(description="统计日期（默认今天，北京时间）")]
Period = Annotated[
    str | None,
    Query(
        max_length=limits.PERIOD,
        pattern=r"^\d{4}-[0-9A-Z]{1,2}$",
        description="报送轮次，如 2022-Q3",
    ),
]
DocumentId = Annotated[str | None, Query(max_length=limits.UUID, description="只看一份通知")]


def today() -> date:
    from services.reporting.handlers import beijing

    return beijing(datetime.now(UTC))


@dataclass(frozen=True)
class View:
    """What a view route works from: the caller's scope, the day it is about, a session."""

    session: Session
    scope: Scope
    as_of: date

    def snapshot(self, period: str | None = None, document_id: str | None = None) -> Snapshot:
        return snapshot(self.session, self.scope, self.as_of, period, document_id)


def view_of(
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: Government = None,
    as_of: AsOf = None,
) -> Iterator[View]:
    scope = scope_of(principal, government)
    with sessions() as session:
        yield View(session, scope, as_of or today())


ViewDep = Annotated[View, Depends(view_of)]


def _snap(
    session: Session,
    scope: Scope,
    as_of: date | None,
    period: str | None = None,
    document_id: str | None = None,
) -> Snapshot:
    return snapshot(session, scope, as_of or today(), period, document_id)


@router.get(
    "/overview", summary="总览：按政府和通知统计状态、红黄绿灯、序时进度、完成率、逾期和漏报"
)
def get_overview(
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: Government = None,
    as_of: AsOf = None,
) -> Overview:
    scope = scope_of(principal, government)
    with sessions() as session:
        return overview(session, scope, as_of or today())


@router.get("/units", summary="按单位：承担任务、完成、按时、逾期、漏报、最近报送，及单位排名")
def get_units(
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: Government = None,
    as_of: AsOf = None,
    period: Period = None,
) -> Ranking:
    scope = scope_of(principal, government)
    scope = Scope(scope.government, None)  # the ranking is published to every unit
    with sessions() as session:
        return ranking(session, scope, as_of or today(), period)


@router.get("/units/{unit}", summary="一个单位的任务和各任务的最新进展")
def get_unit(
    principal: PrincipalDep,
    sessions: SessionsDep,
    unit: Annotated[str, Path(max_length=limits.UNIT_NAME)],
    government: Government = None,
    as_of: AsOf = None,
) -> lists.UnitDetail:
    scope = scope_of(principal, government)
    if scope.units is not None and unit not in scope.units:
        raise Forbidden("只能查看本单位的任务")
    with sessions() as session:
        return lists.unit_detail(_snap(session, scope, as_of), unit)


class RuleOut(BaseModel):
    government_id: str | None
    rule: dict[str, int]
    text: str


class RuleIn(ApiModel):
    done_on_time: int = Field(100, ge=0, le=1000, description="按时办结得分")
    done_late: int = Field(80, ge=0, le=1000, description="逾期办结得分")
    ahead: int = Field(90, ge=0, le=1000, description="超序时进度得分")
    on_schedule: int = Field(80, ge=0, le=1000, description="达序时进度得分")
    behind: int = Field(50, ge=0, le=1000, description="欠序时进度得分")
    overdue_penalty: int = Field(20, ge=0, le=1000, description="时间节点逾期扣分")
    missing_penalty: int = Field(10, ge=0, le=1000, description="本轮漏报扣分")


@router.get("/ranking/rule", summary="单位排名的计分规则")
def get_rule(
    principal: PrincipalDep, sessions: SessionsDep, government: Government = None
) -> RuleOut:
    scope = scope_of(principal, government)
    with sessions() as session:
        rule = rule_of(session, scope.government)
    return RuleOut(government_id=scope.government, rule=rule.as_dict(), text=rule.text())


@router.put("/ranking/rule", summary="设置单位排名的计分规则（督查部门）")
def put_rule(
    principal: PrincipalDep, sessions: SessionsDep, body: RuleIn, government: Government = None
) -> RuleOut:
    require_role(principal, Role.SUPERVISOR)
    scope = scope_of(principal, government)
    if scope.government is None:
        raise HTTPException(422, "请指定政府（government）")
    rule = rules.ScoringRule(**body.model_dump())
    with sessions.begin() as session:
        session.merge(
            RankingRule(
                government_id=scope.government,
                rule=rule.as_dict(),
                changed_by=principal.name,
                changed_at=datetime.now(UTC),
            )
        )
    return RuleOut(government_id=scope.government, rule=rule.as_dict(), text=rule.text())


@router.get("/schedule", summary="序时进度：已完成、超序时进度、达序时进度、欠序时进度及其任务")
def get_schedule(view: ViewDep, document_id: DocumentId = None) -> list[lists.Group]:
    return lists.buckets(view.snapshot(document_id=document_id))


@router.get("/leaders", summary="按责任领导")
def get_leaders(view: ViewDep) -> list[lists.Group]:
    return lists.by_leader(view.snapshot())


@router.get("/sections", summary="按部分（一、二、……）")
def get_sections(view: ViewDep, document_id: DocumentId = None) -> list[lists.Group]:
    return lists.by_section(view.snapshot(document_id=document_id))


@router.get("/rounds", summary="按报送轮次：应报、已报、漏报")
def get_rounds(view: ViewDep) -> list[lists.RoundFigures]:
    return lists.by_round(view.session, view.snapshot())


@router.get("/overdue", summary="逾期任务清单（逾期天数按工作日计）")
def get_overdue(view: ViewDep) -> list[lists.OverdueLine]:
    return lists.overdue(view.snapshot())


@router.get("/missing", summary="漏报清单：本轮（或指定轮次）未报送进展的单位和任务")
def get_missing(view: ViewDep, period: Period = None) -> list[lists.MissingLine]:
    return lists.missing(view.snapshot(period))


@router.get("/indicators", summary="指标：目标值与最新报送的实际值")
def get_indicators(view: ViewDep) -> list[lists.IndicatorLine]:
    return lists.indicators(view.snapshot())


TaskId = Annotated[str, Path(max_length=limits.TASK_ID)]


def _task(session: Session, principal: Principal, task_id: str, as_of: date | None):
    scope = scope_of(principal, None)
    snap = _snap(session, scope, as_of)
    found = next((t for t in snap.tasks if t.view.task_id == task_id), None)
    if found is None:
        raise HTTPException(404, "没有这项任务")
    return snap, found


@router.get("/tasks/{task_id}", summary="一项任务：各单位进展、任务进度口径、指标、时间线")
def get_task(
    principal: PrincipalDep, sessions: SessionsDep, task_id: TaskId, as_of: AsOf = None
) -> lists.TaskDetail:
    with sessions() as session:
        snap, found = _task(session, principal, task_id, as_of)
        return lists.detail(session, snap, found)


def _file(content: bytes, media: str, name: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})


def _issuer(session: Session, snap: Snapshot, document_id: str | None) -> tuple[str, str]:
    docs = [
        snap.documents[d]
        for d in ([document_id] if document_id else snap.documents)
        if d in snap.documents
    ]
    doc: DocumentView | None = docs[0] if docs else None
    issuer = (doc.issuer if doc and doc.issuer else "") or "人民政府办公室"
    issuer = issuer.removesuffix("办公室")
    return issuer, (doc.title if doc else "重点工作任务分解通知")


@router.get(
    "/ledger.xlsx",
    summary="台账（Excel）：每项任务一行，每个单位一张表",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "Excel 台账"}},
)
def get_ledger(
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: Government = None,
    as_of: AsOf = None,
    document_id: DocumentId = None,
) -> Response:
    scope = scope_of(principal, government)
    with sessions() as session:
        snap = _snap(session, scope, as_of, document_id=document_id)
        _, title = _issuer(session, snap, document_id)
        content = ledger(snap, "重点工作" if not document_id else title)
    return _file(content, XLSX, f"重点工作台账-{snap.as_of:%Y%m%d}.xlsx")


@router.get(
    "/circular.docx",
    summary="通报（Word）：一个报送轮次的总体情况、排名、通报批评和表扬（督查部门、责任领导）",
    response_class=Response,
    responses={200: {"content": {DOCX: {}}, "description": "Word 通报"}},
)
def get_circular(
    principal: PrincipalDep,
    sessions: SessionsDep,
    period: Annotated[
        str,
        Query(
            max_length=limits.PERIOD,
            pattern=r"^\d{4}-[0-9A-Z]{1,2}$",
            description="报送轮次，如 2022-Q3",
        ),
    ],
    government: Government = None,
    as_of: AsOf = None,
    document_id: DocumentId = None,
) -> Response:
    if principal.role not in (*BUREAU, Role.LEADER):
        raise Forbidden("通报仅限督查部门和责任领导")
    scope = scope_of(principal, government)
    with sessions() as session:
        snap = _snap(session, scope, as_of, period, document_id)
        board = ranking(session, scope, snap.as_of, period)
        issuer, title = _issuer(session, snap, document_id)
        content = circular(snap, board, issuer, period, title)
    return _file(content, DOCX, f"通报-{period}.docx")


@router.get(
    "/tasks/{task_id}/order.docx",
    summary="催办单、督办单（Word）：一项任务、一个单位（督查部门）",
    response_class=Response,
    responses={200: {"content": {DOCX: {}}, "description": "Word 催办单或督办单"}},
)
def get_order(
    principal: PrincipalDep,
    sessions: SessionsDep,
    task_id: TaskId,
    unit: Annotated[str, Query(min_length=1, max_length=limits.UNIT_NAME, description="责任单位")],
    kind: Annotated[
        Literal["urge", "supervise"], Query(description="urge 催办单，supervise 督办单")
    ] = "urge",
    as_of: AsOf = None,
) -> Response:
    require_role(principal, Role.SUPERVISOR)
    with sessions() as session:
        snap, found = _task(session, principal, task_id, as_of)
        if all(s.unit != unit for s in found.shares):
            raise HTTPException(404, f"任务没有交办给“{unit}”")
        issuer, _ = _issuer(session, snap, found.view.document_id)
        content = order(found, unit, kind, issuer, snap.as_of)
    name = "催办单" if kind == "urge" else "督办单"
    return _file(content, DOCX, f"{name}-{found.view.number}-{unit}.docx")


class DigestsOut(BaseModel):
    requested: int = Field(description="本次请求发送的领导日报数（同一领导同一天只发一次）")


@router.post("/digests", summary="请求发送今日各责任领导的红灯任务日报（督查部门）")
def post_digests(
    principal: PrincipalDep, sessions: SessionsDep, government: Government = None
) -> DigestsOut:
    require_role(principal, Role.SUPERVISOR)
    scope = scope_of(principal, government)
    with sessions.begin() as session:
        return DigestsOut(requested=request_digests(session, today(), scope.government))
