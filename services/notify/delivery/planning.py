"""Planning: each notice owed becomes one delivery per contact of its recipient, on the
contact's first preferred channel that the deployment enables and the contact can be
reached on. A recipient with no such contact gets a ``skipped`` delivery that says why, and
a ``notification.failed`` event: never silently nothing.

Planning runs at the start of every sender pass, in one transaction with the notices it
marks ``planned`` (a notice is planned once; the unique key of a delivery guards the rest).
It runs there rather than in the event handler because the channels a deployment enables
belong to the running sender, not to the event: a contact registered a minute after the
request still receives it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.notify.channels.base import Channel
from services.notify.contacts.models import Contact
from services.notify.contacts.service import contacts_of
from services.notify.delivery.events import failed_event
from services.notify.delivery.models import PENDING, SKIPPED, Delivery
from services.notify.delivery.sql import among
from services.notify.models import Notice
from shared.contracts import Event

LABELS = {"wecom_app": "企业微信", "wecom_robot": "群机器人", "sms": "短信", "oa_todo": "OA 待办"}
NONE = "-"  # the channel and recipient of a delivery that has neither


def label(channel: str) -> str:
    return LABELS.get(channel, channel)


def choose_channel(
    contact: Contact,
    channels: Mapping[str, Channel],
    default_order: Sequence[str],
    tried: Iterable[str] = (),
) -> str | None:
    """The contact's first preferred channel not yet tried that is enabled and has the
    address it needs (its own order, else the deployment's)."""
    done = set(tried)
    for name in contact.channels or default_order:
        channel = channels.get(name)
        if channel is None or name in done:
            continue
        if contact.address(channel.address) is not None:
            return name
    return None


def unreachable_reason(contact: Contact, channels: Mapping[str, Channel]) -> str:
    enabled = "、".join(label(n) for n in channels) or "无（DUBAN_NOTIFY_CHANNELS 未设置）"
    who = f"{contact.owner}{contact.post}{contact.name}"
    return f"{who}没有可用的接收渠道（已启用：{enabled}；请补充企业微信账号或手机号）"


def new_delivery(notice: Notice, now: datetime, window: timedelta, **values: object) -> Delivery:
    return Delivery(**delivery_values(notice, now, window, **values))


def delivery_values(
    notice: Notice, now: datetime, window: timedelta, **values: object
) -> dict[str, object]:
    """The columns of a new delivery (all of them: rows inserted together share their keys)."""
    fields: dict[str, object] = {
        "notice_id": notice.id,
        "government_id": notice.government_id,
        "task_id": notice.task_id,
        "dedup_key": notice.dedup_key,
        "owner_kind": notice.recipient_kind,
        "owner": notice.unit,
        "kind": notice.kind,
        "urgent": notice.kind == "urge",
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "deadline": now + window,
        "provider": "",
        "last_code": "",
        "last_message": "",
        "body": "",
        "post": "",
        "recipient_name": "",
        "created_at": now,
        "updated_at": now,
        "claim": None,
        "claimed_at": None,
        "provider_id": None,
        "previous_id": None,
        "refers_to": None,
        "digest_of": None,
    }
    fields.update(values)
    return fields


def plan_notices(
    session: Session,
    channels: Mapping[str, Channel],
    default_order: Sequence[str],
    now: datetime,
    window: timedelta,
    limit: int,
) -> tuple[int, list[Event]]:
    """Plan up to ``limit`` pending notices; returns how many and the events to publish."""
    notices = list(
        session.scalars(
            select(Notice)
            .where(Notice.status == "pending")
            .order_by(Notice.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not notices:
        return 0, []
    planned = set(
        session.execute(
            select(Delivery.dedup_key, Delivery.recipient_key).where(
                among(session, Delivery.dedup_key, {n.dedup_key for n in notices})
            )
        )
    )
    owners = contacts_of(session, ((n.government_id, n.recipient_kind, n.unit) for n in notices))
    skipped: list[Delivery] = []
    owed: list[dict[str, object]] = []  # inserted at once, no ids asked back (sql.py)
    for notice in notices:
        contacts = owners[(notice.government_id, notice.recipient_kind, notice.unit)]
        if not contacts and (notice.dedup_key, NONE) not in planned:
            row = new_delivery(
                notice,
                now,
                window,
                recipient_key=NONE,
                channel=NONE,
                status=SKIPPED,
                last_code="no_contact",
                last_message=f"{notice.unit}未登记联系人",
            )
            skipped.append(row)
            session.add(row)
        for contact in contacts:
            if (notice.dedup_key, f"c{contact.id}") in planned:
                continue  # planned before (an operator asked to plan again)
            person = {
                "recipient_key": f"c{contact.id}",
                "contact_id": contact.id,
                "post": contact.post,
                "recipient_name": contact.name,
            }
            name = choose_channel(contact, channels, default_order)
            if name is None:
                row = new_delivery(
                    notice,
                    now,
                    window,
                    channel=NONE,
                    status=SKIPPED,
                    last_code="unreachable",
                    last_message=unreachable_reason(contact, channels),
                    **person,
                )
                skipped.append(row)
                session.add(row)
            else:
                owed.append(delivery_values(notice, now, window, channel=name, **person))
        notice.status = "planned"
    if owed:
        session.execute(insert(Delivery.__table__), owed)
    session.flush()
    events = [failed_event(row, "skipped", now) for row in skipped]
    return len(notices), events
