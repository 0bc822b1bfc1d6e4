"""The org directory: units, groups and aliases, leaders; import from CSV or Excel."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from services.tasks import audit
from services.tasks.api.deps import PrincipalDep
from services.tasks.api.schemas import Orm
from services.tasks.auth import Forbidden, Principal, require_role
from services.tasks.directory import (
    DirectoryError,
    parse_directory_csv,
    remove_unit,
    upsert_unit,
)
from services.tasks.lifecycle import NotFound
from services.tasks.models import Leader, Unit
from shared.web import SessionsDep

router = APIRouter(prefix="/directory", tags=["单位名录"])
GovernmentQuery = Annotated[str | None, Query(max_length=64, description="管理员须指定政府")]


class UnitIn(BaseModel):
    kind: str = Field("unit", pattern="^(unit|group)$", description="unit 单位，group 分组")
    aliases: list[str] = Field(default_factory=list, description="别名、曾用名、其他写法")
    members: list[str] = Field(default_factory=list, description="分组的成员单位")


class UnitOut(Orm):
    name: str
    kind: str
    aliases: list[str]
    members: list[str]


class LeaderIn(BaseModel):
    title: str = Field("", max_length=100, description="职务")


class LeaderOut(Orm):
    name: str
    title: str


def government_of(principal: Principal, government: str | None) -> str:
    if principal.role == "admin":
        if not government:
            raise DirectoryError("管理员操作须指定 government 参数")
        return government
    if government and government != principal.government_id:
        raise Forbidden("无权访问其他政府的名录")
    return principal.government_id or ""


@router.get("/units", summary="单位与分组列表")
def list_units(
    principal: PrincipalDep, sessions: SessionsDep, government: GovernmentQuery = None
) -> list[UnitOut]:
    gov = government_of(principal, government)
    with sessions() as session:
        rows = session.scalars(select(Unit).where(Unit.government_id == gov).order_by(Unit.name))
        return [UnitOut.model_validate(u) for u in rows]


@router.put("/units/{name}", summary="新增或修改单位/分组")
def put_unit(
    name: str,
    body: UnitIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> UnitOut:
    require_role(principal, "supervisor")
    gov = government_of(principal, government)
    name = "".join(name.split())
    with sessions.begin() as session:
        known = session.scalar(select(Unit).where(Unit.government_id == gov, Unit.name == name))
        before = UnitIn.model_validate(known, from_attributes=True).model_dump() if known else None
        unit = upsert_unit(session, gov, name, body.kind, body.aliases, body.members)
        audit.record(
            session,
            government_id=gov,
            actor=principal.name,
            action="directory.unit",
            entity="unit",
            entity_id=unit.name,
            before=before,
            after=body.model_dump(),
        )
        return UnitOut.model_validate(unit)


@router.delete("/units/{name}", status_code=204, summary="删除单位/分组")
def delete_unit(
    name: str, principal: PrincipalDep, sessions: SessionsDep, government: GovernmentQuery = None
) -> None:
    require_role(principal, "supervisor")
    gov = government_of(principal, government)
    with sessions.begin() as session:
        unit = session.scalar(select(Unit).where(Unit.government_id == gov, Unit.name == name))
        if unit is None:
            raise NotFound(f"名录中没有“{name}”")
        audit.record(
            session,
            government_id=gov,
            actor=principal.name,
            action="directory.unit_deleted",
            entity="unit",
            entity_id=name,
            before=UnitIn.model_validate(unit, from_attributes=True).model_dump(),
        )
        remove_unit(session, unit)


@router.post("/import", summary="从 CSV 或 Excel 导入名录（列：名称、类型、别名、成员）")
async def import_directory(
    request: Request,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> dict[str, int]:
    require_role(principal, "supervisor")
    gov = government_of(principal, government)
    rows = parse_directory_csv(_as_csv(await request.body()))
    with sessions.begin() as session:
        for name, kind, aliases, members in rows:
            upsert_unit(session, gov, name, kind, aliases, members)
        audit.record(
            session,
            government_id=gov,
            actor=principal.name,
            action="directory.imported",
            entity="directory",
            entity_id=gov,
            after={"rows": len(rows)},
        )
    return {"imported": len(rows)}


def _as_csv(data: bytes) -> str:
    """Excel (.xlsx) becomes CSV text; CSV may be UTF-8 or GB18030 (Excel's 'CSV' on Windows)."""
    if data[:2] == b"PK":
        return _xlsx_to_csv(data)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DirectoryError("无法识别文件编码，请另存为 UTF-8 编码的 CSV 或 Excel 文件")


def _xlsx_to_csv(data: bytes) -> str:
    import csv

    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise DirectoryError("Excel 文件已损坏或格式不正确，请重新导出") from exc
    out = io.StringIO()
    writer = csv.writer(out)
    for row in sheet.iter_rows(values_only=True):
        writer.writerow(["" if cell is None else str(cell) for cell in row])
    return out.getvalue()


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
def put_leader(
    name: str,
    body: LeaderIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> LeaderOut:
    require_role(principal, "supervisor")
    gov = government_of(principal, government)
    with sessions.begin() as session:
        leader = session.scalar(
            select(Leader).where(Leader.government_id == gov, Leader.name == name)
        )
        before = None if leader is None else {"title": leader.title}
        if leader is None:
            leader = Leader(government_id=gov, name=name)
            session.add(leader)
        leader.title = body.title
        audit.record(
            session,
            government_id=gov,
            actor=principal.name,
            action="directory.leader",
            entity="leader",
            entity_id=name,
            before=before,
            after=body.model_dump(),
        )
        return LeaderOut.model_validate(leader)
