"""Keeping contacts: one rule for the API and the import (a post of an owner is one row;
writing it again updates it), and the lookup the planner uses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from services.notify.contacts.models import Contact

OWNER_KINDS = ("unit", "leader")
DEFAULT_POST = "联络员"


@dataclass
class ContactData:
    owner_kind: str
    owner: str
    post: str
    name: str
    wecom_userid: str | None = None
    mobile: str | None = None  # normalised
    oa_account: str | None = None
    channels: list[str] = field(default_factory=list)
    quiet_exempt: bool = False


def put_contact(session: Session, government_id: str, data: ContactData, actor: str) -> Contact:
    """Create the post, or update it (re-activating a deleted one): its key is the
    government, the owner and the post."""
    contact = session.scalar(
        select(Contact).where(
            Contact.government_id == government_id,
            Contact.owner_kind == data.owner_kind,
            Contact.owner == data.owner,
            Contact.post == data.post,
        )
    )
    if contact is None:
        contact = Contact(government_id=government_id, owner_kind=data.owner_kind)
        contact.owner, contact.post = data.owner, data.post
        session.add(contact)
    update_contact(contact, data, actor)
    session.flush()
    return contact


def update_contact(contact: Contact, data: ContactData, actor: str) -> None:
    contact.owner_kind, contact.owner, contact.post = data.owner_kind, data.owner, data.post
    contact.name = data.name
    contact.wecom_userid = data.wecom_userid or None
    contact.mobile = data.mobile or None
    contact.oa_account = data.oa_account or None
    contact.channels = list(data.channels)
    contact.quiet_exempt = data.quiet_exempt
    contact.active = True
    contact.updated_by = actor
    contact.updated_at = datetime.now(UTC)


def contacts_of(
    session: Session, owners: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], list[Contact]]:
    """The active contacts of each (government, owner kind, owner), in post order."""
    wanted = set(owners)
    found: dict[tuple[str, str, str], list[Contact]] = {key: [] for key in wanted}
    if not wanted:
        return found
    rows = session.scalars(
        select(Contact)
        .where(
            tuple_(Contact.government_id, Contact.owner_kind, Contact.owner).in_(list(wanted)),
            Contact.active.is_(True),
        )
        .order_by(Contact.id)
    )
    for contact in rows:
        found[(contact.government_id, contact.owner_kind, contact.owner)].append(contact)
    return found
