"""``/notify/contacts``: the directory of who receives a unit's or a leader's messages.
The bureau keeps it (by hand or by importing a file); a unit sees its own contacts, a leader
his or her own line, with mobile numbers masked."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from services.notify.contacts.importing import channel_names, read_contacts_file
from services.notify.contacts.models import Contact
from services.notify.contacts.phones import mask, normalise_mobile
from services.notify.contacts.service import ContactData, put_contact, update_contact
from services.notify.errors import Conflict, NotFound
from services.notify.scope import GovernmentQuery, addressed_to, government_of, sees_numbers
from shared.contracts import limits
from shared.identity.principal import Principal, Role, require_role, scoped_government
from shared.identity.verify import PrincipalDep
from shared.validation import ApiModel
from shared.web import SessionsDep

router = APIRouter(prefix="/contacts", tags=["联系人"])
ContactId = Annotated[int, Path(ge=1, le=2**31 - 1, description="联系人编号")]


class ContactIn(ApiModel):
    owner_kind: str = Field("unit", pattern="^(unit|leader)$", description="unit 单位，leader 领导")
    owner: str = Field(min_length=1, max_length=limits.UNIT_NAME, description="单位名称或领导姓名")
    post: str = Field(
        "联络员", min_length=1, max_length=60, description="岗位：办公室主任、联络员…"
    )
    name: str = Field(min_length=1, max_length=50, description="姓名")
    wecom_userid: str | None = Field(None, max_length=64, description="企业微信账号")
    mobile: str | None = Field(None, max_length=30, description="手机号（大陆 11 位，可带 +86）")
    oa_account: str | None = Field(None, max_length=64, description="OA 账号（OA 待办用）")
    channels: list[str] = Field(
        default_factory=list, max_length=10, description="接收渠道，按优先顺序；空则按系统默认"
    )
    quiet_exempt: bool = Field(False, description="免打扰豁免：夜间也发短信")

    @field_validator("mobile")
    @classmethod
    def valid_mobile(cls, value: str | None) -> str | None:
        return normalise_mobile(value) if value and value.strip() else None

    @field_validator("channels")
    @classmethod
    def known_channels(cls, value: list[str]) -> list[str]:
        return channel_names("、".join(value))

    def data(self) -> ContactData:
        if not (self.wecom_userid or self.mobile or self.oa_account):
            raise ValueError("企业微信账号、手机号、OA 账号至少填一项")
        return ContactData(
            self.owner_kind,
            self.owner.strip(),
            self.post.strip(),
            self.name.strip(),
            self.wecom_userid,
            self.mobile,
            self.oa_account,
            self.channels,
            self.quiet_exempt,
        )


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    government_id: str
    owner_kind: str
    owner: str
    post: str
    name: str
    wecom_userid: str | None
    mobile: str | None
    oa_account: str | None
    channels: list[str]
    quiet_exempt: bool
    active: bool
    updated_by: str
    updated_at: datetime


def contact_out(contact: Contact, principal: Principal) -> ContactOut:
    out = ContactOut.model_validate(contact)
    if not sees_numbers(principal):
        out.mobile = mask(out.mobile)
    return out


def _data(body: ContactIn) -> ContactData:
    from services.notify.errors import Invalid

    try:
        return body.data()
    except ValueError as exc:
        raise Invalid(str(exc)) from None


@router.get("", summary="联系人列表（本政府的；单位、领导只见自己的，手机号打码）")
def list_contacts(
    principal: PrincipalDep,
    sessions: SessionsDep,
    owner: Annotated[str | None, Query(max_length=limits.UNIT_NAME)] = None,
    include_inactive: bool = False,
    government: GovernmentQuery = None,
) -> list[ContactOut]:
    scope = scoped_government(principal, government)
    query = select(Contact).where(addressed_to(principal, Contact.owner_kind, Contact.owner))
    if scope:
        query = query.where(Contact.government_id == scope)
    if owner:
        query = query.where(Contact.owner == owner)
    if not include_inactive:
        query = query.where(Contact.active.is_(True))
    with sessions() as session:
        rows = session.scalars(query.order_by(Contact.owner_kind, Contact.owner, Contact.id))
        return [contact_out(c, principal) for c in rows]


@router.post("", status_code=201, summary="新增联系人（同一单位同一岗位则更新）")
def create_contact(
    body: ContactIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> ContactOut:
    require_role(principal, Role.SUPERVISOR)
    gov = government_of(principal, government)
    data = _data(body)
    with sessions.begin() as session:
        return contact_out(put_contact(session, gov, data, principal.name), principal)


def _own(session, principal: Principal, contact_id: int, government: str | None) -> Contact:
    gov = (
        government_of(principal, government) if government or principal.role != Role.ADMIN else None
    )
    contact = session.get(Contact, contact_id)
    if contact is None or (gov is not None and contact.government_id != gov):
        raise NotFound(f"联系人 {contact_id} 不存在")
    return contact


@router.put("/{contact_id:int}", summary="修改联系人（换人只改姓名与号码，岗位不变）")
def change_contact(
    contact_id: ContactId,
    body: ContactIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> ContactOut:
    require_role(principal, Role.SUPERVISOR)
    data = _data(body)
    with sessions.begin() as session:
        contact = _own(session, principal, contact_id, government)
        clash = session.scalar(
            select(Contact.id).where(
                Contact.government_id == contact.government_id,
                Contact.owner_kind == data.owner_kind,
                Contact.owner == data.owner,
                Contact.post == data.post,
                Contact.id != contact.id,
            )
        )
        if clash is not None:
            raise Conflict(f"{data.owner}已有岗位“{data.post}”的联系人（编号 {clash}）")
        update_contact(contact, data, principal.name)
        return contact_out(contact, principal)


@router.delete("/{contact_id:int}", status_code=204, summary="停用联系人（已发消息仍可查）")
def delete_contact(
    contact_id: ContactId,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> None:
    require_role(principal, Role.SUPERVISOR)
    with sessions.begin() as session:
        contact = _own(session, principal, contact_id, government)
        contact.active = False
        contact.updated_by = principal.name


@router.post(
    "/import",
    summary="从 CSV 或 Excel 导入联系人（列：单位/领导、岗位、姓名、企业微信账号、手机号、"
    "接收渠道、免打扰豁免）；有一行错误则全部不导入",
)
async def import_contacts(
    request: Request,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> dict[str, int]:
    require_role(principal, Role.SUPERVISOR)
    gov = government_of(principal, government)
    rows = read_contacts_file(await _file_bytes(request))
    with sessions.begin() as session:
        for row in rows:
            put_contact(session, gov, row, principal.name)
    return {"imported": len(rows)}


async def _file_bytes(request: Request) -> bytes:
    """The file as the request body, or as the first file of a form upload (/docs)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        for value in form.values():
            if not isinstance(value, str):
                return await value.read()
        return b""
    return await request.body()
