"""The ``contact`` table: one post of one unit (or one leader's own line) per row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.notify.models import Base, Moment
from shared.contracts import limits

POST = 60
PERSON = 50
USERID = 64  # WeCom userid: up to 64 bytes
MOBILE = 20  # +86 and 11 digits


class Contact(Base):
    """A post held by a person. Deliveries point at the row (the post), so a message owed to
    the 办公室主任 is owed once however often the person holding it changes; the address
    used for each attempt is recorded with the attempt.

    Deleting a contact deactivates it (``active`` false): deliveries keep naming it."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("government_id", "owner_kind", "owner", "post"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    government_id: Mapped[str] = mapped_column(String(limits.GOVERNMENT_ID), index=True)
    owner_kind: Mapped[str] = mapped_column(String(10), doc="unit or leader")
    owner: Mapped[str] = mapped_column(String(limits.UNIT_NAME), doc="the unit or the leader")
    post: Mapped[str] = mapped_column(String(POST))
    name: Mapped[str] = mapped_column(String(PERSON))
    wecom_userid: Mapped[str | None] = mapped_column(String(USERID))
    mobile: Mapped[str | None] = mapped_column(String(MOBILE), doc="normalised: 11 digits")
    oa_account: Mapped[str | None] = mapped_column(String(USERID), doc="OA login, for to-dos")
    channels: Mapped[list[str]] = mapped_column(
        JSON, default=list, doc="channel names in order of preference; empty: the default"
    )
    quiet_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(limits.ACTOR))
    updated_at: Mapped[datetime] = mapped_column(Moment)

    def address(self, field: str) -> str | None:
        """The address a channel needs (``Channel.address``); "none": the channel needs none."""
        if field == "none":
            return ""
        return getattr(self, field) or None
