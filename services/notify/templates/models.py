"""The ``message_template`` table: a government's own wording of one kind of message; a kind
without a row uses the built-in default (``templates.defaults``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.notify.models import Base, Moment
from shared.contracts import limits


class MessageTemplate(Base):
    __tablename__ = "message_template"
    __table_args__ = (UniqueConstraint("government_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    government_id: Mapped[str] = mapped_column(String(limits.GOVERNMENT_ID))
    kind: Mapped[str] = mapped_column(String(limits.WORD))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(limits.ACTOR))
    updated_at: Mapped[datetime] = mapped_column(Moment)
