"""``/notify/templates``: the wording of each kind of message, as the bureau sees and edits
it. A change applies to every message not yet sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlalchemy import select

from services.notify.errors import Invalid, NotFound
from services.notify.scope import GovernmentQuery, government_of
from services.notify.templates.defaults import DEFAULTS, FIELDS
from services.notify.templates.models import MessageTemplate
from services.notify.templates.render import check
from shared.contracts import limits
from shared.identity.principal import Role, require_role
from shared.identity.verify import PrincipalDep
from shared.validation import ApiModel
from shared.web import SessionsDep

router = APIRouter(prefix="/templates", tags=["消息模板"])
KindPath = Annotated[str, Path(max_length=limits.WORD, description="消息种类")]


class TemplateIn(ApiModel):
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=2000, description="正文，{字段} 处填入")


class TemplateOut(BaseModel):
    kind: str
    title: str
    body: str
    edited: bool = Field(description="false：系统默认")
    updated_by: str | None = None
    updated_at: datetime | None = None
    fields: dict[str, str] = Field(default_factory=lambda: dict(FIELDS))


@router.get("", summary="消息模板（本政府的；未改的为系统默认）")
def list_templates(
    principal: PrincipalDep, sessions: SessionsDep, government: GovernmentQuery = None
) -> list[TemplateOut]:
    require_role(principal, Role.SUPERVISOR)
    gov = government_of(principal, government)
    with sessions() as session:
        own = {
            t.kind: t
            for t in session.scalars(
                select(MessageTemplate).where(MessageTemplate.government_id == gov)
            )
        }
    out = []
    for kind, (title, body) in DEFAULTS.items():
        t = own.get(kind)
        if t is None:
            out.append(TemplateOut(kind=kind, title=title, body=body, edited=False))
        else:
            out.append(
                TemplateOut(
                    kind=kind,
                    title=t.title,
                    body=t.body,
                    edited=True,
                    updated_by=t.updated_by,
                    updated_at=t.updated_at,
                )
            )
    return out


@router.put("/{kind}", summary="修改消息模板（对尚未发出的消息生效）")
def put_template(
    kind: KindPath,
    body: TemplateIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> TemplateOut:
    require_role(principal, Role.SUPERVISOR)
    gov = government_of(principal, government)
    if kind not in DEFAULTS:
        raise NotFound(f"没有“{kind}”这种消息（可选：{'、'.join(DEFAULTS)}）")
    try:
        check(body.title)
        check(body.body)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    now = datetime.now(UTC)
    with sessions.begin() as session:
        row = session.scalar(
            select(MessageTemplate).where(
                MessageTemplate.government_id == gov, MessageTemplate.kind == kind
            )
        )
        if row is None:
            row = MessageTemplate(government_id=gov, kind=kind)
            session.add(row)
        row.title, row.body, row.updated_by, row.updated_at = (
            body.title,
            body.body,
            principal.name,
            now,
        )
    return TemplateOut(
        kind=kind,
        title=body.title,
        body=body.body,
        edited=True,
        updated_by=principal.name,
        updated_at=now,
    )
