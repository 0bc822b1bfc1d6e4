"""The org directory: units, groups and aliases, leaders; import from CSV or Excel. Every
change of units resolves the open tasks of the government again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field, Strict
from sqlalchemy import select

from services.tasks import audit
from services.tasks.access.principal import Role, government_of, require_role
from services.tasks.access.routes import GovernmentQuery
from services.tasks.directory.importing import DirectoryRow, read_directory_file
from services.tasks.directory.models import Leader, Unit, UnitKind
from services.tasks.directory.resolve import squeeze
from services.tasks.directory.service import put_leader, put_unit, remove_unit
from services.tasks.errors import Invalid
from services.tasks.registration.resolution import reresolve
from shared.bodylimit import body_limit, import_limit
from shared.contracts import limits
from shared.contracts.limits import UnitName
from shared.identity.verify import PrincipalDep
from shared.validation import ApiModel
from shared.web import SessionsDep

router = APIRouter(prefix="/directory", tags=["单位名录"])
UnitPath = Annotated[str, Path(min_length=1, max_length=limits.UNIT_NAME, description="单位名称")]
LeaderPath = Annotated[
    str, Path(min_length=1, max_length=limits.LEADER_NAME, description="领导姓名")
]


class UnitIn(ApiModel):
    kind: Annotated[UnitKind, Strict(False)] = Field(
        UnitKind.UNIT, description="unit 单位，group 分组"
    )
    aliases: list[UnitName] = Field(default_factory=list, description="别名、曾用名、其他写法")
    members: list[UnitName] = Field(default_factory=list, description="分组的成员单位")


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    kind: str
    aliases: list[str]
    members: list[str]


class LeaderIn(ApiModel):
    title: str = Field("", max_length=100, description="职务")


class LeaderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    title: str


@router.get("/units", summary="单位与分组列表")
def list_units(
    principal: PrincipalDep, sessions: SessionsDep, government: GovernmentQuery = None
) -> list[UnitOut]:
    gov = government_of(principal, government)
    with sessions() as session:
        rows = session.scalars(select(Unit).where(Unit.government_id == gov).order_by(Unit.name))
        return [UnitOut.model_validate(u) for u in rows]


@router.put("/units/{name}", summary="新增或修改单位/分组（在办任务的单位随之更新）")
def put_unit_route(
    name: UnitPath,
    body: UnitIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> UnitOut:
    require_role(principal, Role.SUPERVISOR)
    gov = government_of(principal, government)
    row = DirectoryRow(
        squeeze(name),
        body.kind,
        [squeeze(a) for a in body.aliases],
        [squeeze(m) for m in body.members],
    )
    with sessions.begin() as session:
        unit = put_unit(session, gov, row, principal.name)
        reresolve(session, gov)
        return UnitOut.model_validate(unit)


@router.delete("/units/{name}", status_code=204, summary="删除单位/分组")
def delete_unit(
    name: UnitPath,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> None:
    require_role(principal, Role.SUPERVISOR)
    gov = government_of(principal, government)
    with sessions.begin() as session:
        remove_unit(session, gov, name, principal.name)
        reresolve(session, gov)


DIRECTORY_FILE = {
    "requestBody": {
        "required": True,
        "description": "CSV（UTF-8、GB18030）或 Excel；列：名称、类型、别名、成员",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
        },
    }
}


@router.post(
    "/import",
    summary="从 CSV 或 Excel 导入名录（列：名称、类型、别名、成员）",
    openapi_extra=DIRECTORY_FILE,
)
@body_limit(import_limit)
async def import_directory(
    request: Request,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> dict[str, int]:
    require_role(principal, Role.SUPERVISOR)
    gov = government_of(principal, government)
    data = await request.body()
    if not data.strip():
        raise Invalid("名录文件为空：请提交 CSV 或 Excel 文件（列：名称、类型、别名、成员）")
    rows = read_directory_file(data)
    if not rows:
        raise Invalid(
            "名录文件中没有单位：第一行为表头（名称、类型、别名、成员），其后每行一个单位"
        )
    with sessions.begin() as session:
        for row in rows:
            put_unit(session, gov, row, principal.name)
        audit.record(
            session,
            government_id=gov,
            actor=principal.name,
            action="directory.imported",
            entity="directory",
            entity_id=gov,
            after={"rows": len(rows)},
        )
        tasks = reresolve(session, gov)
    return {"imported": len(rows), "tasks_updated": tasks}


@router.get("/leaders", summary="责任领导列表")
def list_leaders(
    principal: PrincipalDep, sessions: SessionsDep, government: GovernmentQuery = None
) -> list[LeaderOut]:
    gov = government_of(principal, government)
    with sessions() as session:
        rows = session.scalars(
            select(Leader).where(Leader.government_id == gov).order_by(Leader.name)
        )
        return [LeaderOut.model_validate(r) for r in rows]


@router.put("/leaders/{name}", summary="新增或修改责任领导")
def put_leader_route(
    name: LeaderPath,
    body: LeaderIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> LeaderOut:
    require_role(principal, Role.SUPERVISOR)
    gov = government_of(principal, government)
    with sessions.begin() as session:
        return LeaderOut.model_validate(put_leader(session, gov, name, body.title, principal.name))
