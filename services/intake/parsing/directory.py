"""Matching parsed unit names against the county's unit directory (单位名录).

The parser itself knows no county; the caller passes the directory it keeps. A name is
resolved exactly or through an alias ("卫东自然资源与规划分局" → "…和规划分局"); a group
known to the directory gets its members; an unknown name is flagged, never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from services.intake.parsing.model import ParsedNotice, ParseWarning, UnitRef


@dataclass(frozen=True)
class UnitDirectory:
    """Canonical unit names, their aliases and the members of named groups."""

    names: frozenset[str]
    aliases: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def resolve(self, name: str) -> str | None:
        """The canonical name for ``name``, or None when the directory does not know it."""
        if name in self.names or name in self.groups:
            return name
        return self.aliases.get(name)


def _resolved(ref: UnitRef, directory: UnitDirectory) -> UnitRef:
    canonical = directory.resolve(ref.name) or directory.resolve(ref.verbatim)
    if canonical is None:
        return ref.model_copy(update={"known": False})
    members = list(directory.groups.get(canonical, ()))
    return ref.model_copy(update={"name": canonical, "known": True, "members": members})


def apply_directory(notice: ParsedNotice, directory: UnitDirectory) -> ParsedNotice:
    """Resolve every task's units in place and warn about names the directory lacks."""
    for task in notice.tasks:
        task.units = [_resolved(ref, directory) for ref in task.units]
        for ref in task.units:
            if ref.known is False and not ref.is_group:
                notice.warnings.append(
                    ParseWarning(
                        code="UNKNOWN_UNIT",
                        task=task.number,
                        message=f"单位“{ref.verbatim}”不在单位名录中，请核对名称或先补充名录。",
                    )
                )
            elif ref.known is False:
                notice.warnings.append(
                    ParseWarning(
                        code="UNKNOWN_GROUP",
                        task=task.number,
                        message=f"“{ref.verbatim}”是一类单位，名录中没有其成员，请指定具体单位。",
                    )
                )
    return notice
