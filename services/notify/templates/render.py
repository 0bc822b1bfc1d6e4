"""Filling a template: ``{field}`` names from ``defaults.FIELDS``; a template naming any
other field is refused when it is saved, so rendering never fails at send time."""

from __future__ import annotations

import string
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notify.templates.defaults import DEFAULTS, FIELDS, GENERIC
from services.notify.templates.models import MessageTemplate


def fields_of(text: str) -> set[str]:
    """The field names a template uses; ValueError (Chinese) for a malformed one."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValueError(f"模板格式有误（花括号不成对）：{exc}") from None
    return {name for _, name, _, _ in parsed if name is not None}


def check(text: str) -> None:
    unknown = fields_of(text) - set(FIELDS)
    if "" in unknown or any(not n.isidentifier() for n in unknown):
        raise ValueError("模板中的字段须写成 {字段名}，如 {link}")
    if unknown:
        known = "、".join("{" + f + "}" for f in FIELDS)
        raise ValueError(f"模板使用了未知字段 {'、'.join(sorted(unknown))}（可用：{known}）")


def render(text: str, values: Mapping[str, str]) -> str:
    return text.format_map({field: values.get(field, "") for field in FIELDS})


class Templates:
    """The templates of the governments one sender pass needs, read once per pass."""

    def __init__(self, session: Session, governments: set[str]) -> None:
        rows = session.scalars(
            select(MessageTemplate).where(MessageTemplate.government_id.in_(governments))
        )
        self._own = {(t.government_id, t.kind): (t.title, t.body) for t in rows}

    def get(self, government_id: str, kind: str) -> tuple[str, str]:
        return self._own.get((government_id, kind)) or DEFAULTS.get(kind, GENERIC)
