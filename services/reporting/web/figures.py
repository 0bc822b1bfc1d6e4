"""What the dashboard shows, from the same ``Snapshot`` and lists as the JSON API: counts by
status, signal and 序时进度, the overdue list, reports by round, the unit ranking, and the
choices of each filter. The leader filter narrows the snapshot's tasks, so every figure and
list below it follows; the ranking is the government's published one (documents and rounds
narrow it, a leader does not: units are ranked on all their tasks)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.reporting import rules
from services.reporting.models import DocumentView, RoundView
from services.reporting.views import lists
from services.reporting.views.overview import percent
from services.reporting.views.ranking import ranking
from services.reporting.views.scope import Scope
from services.reporting.views.snapshot import Snapshot, snapshot

SIGNALS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "done": "已办结"}


@dataclass(frozen=True)
class Filters:
    government: str | None = None
    document_id: str | None = None
    leader: str | None = None
    period: str | None = None

    def query(self, **changes: str | None) -> dict[str, str]:
        """The filters as query parameters (for links that keep them)."""
        values = {**self.__dict__, **changes}
        return {k: v for k, v in values.items() if v}


def narrowed(session: Session, scope: Scope, as_of: date, f: Filters) -> tuple[Snapshot, list]:
    """The snapshot the filters ask for, and every leader before the leader filter."""
    snap = snapshot(session, scope, as_of, f.period, f.document_id)
    leaders = sorted({n for t in snap.tasks for n in t.view.leaders})
    if f.leader:
        snap = replace(snap, tasks=[t for t in snap.tasks if f.leader in t.view.leaders])
    return snap, leaders


def choices(session: Session, scope: Scope, as_of: date) -> dict[str, Any]:
    """What the document, round and government filters offer, in the caller's scope."""
    docs = select(DocumentView).order_by(DocumentView.title)
    if scope.government is not None:
        docs = docs.where(DocumentView.government_id == scope.government)
    documents = list(session.scalars(docs))
    ids = [d.document_id for d in documents]
    rounds = session.scalars(
        select(RoundView).where(RoundView.document_id.in_(ids)).order_by(RoundView.due_day)
    )
    periods, current = {}, None
    for r in rounds:
        periods[r.period] = f"{rules.period_label(r.period)}（{r.due_date:%m月%d日}）"
        current = r.period if r.due_date < as_of else current
    governments = sorted({d.government_id for d in documents})
    return {
        "documents": documents,
        "periods": periods,
        "current_period": current or next(iter(periods), None),
        "governments": governments,
    }


def board(session: Session, scope: Scope, as_of: date, f: Filters) -> dict[str, Any]:
    snap, leaders = narrowed(session, scope, as_of, f)
    lines = [lists.line(t) for t in snap.tasks]
    completed = sum(t.status == rules.DONE for t in lines)
    on_time = sum(t.on_time for t in snap.tasks)
    kpi = {
        "tasks": len(lines),
        "completed": completed,
        "completion_rate": percent(completed, len(lines)),
        "on_time_rate": percent(on_time, completed),
        "overdue": sum(t.overdue for t in lines),
        "red": sum(t.signal == "red" for t in lines),
        "missing": sum(len(t.missing_units) for t in lines),
    }
    status = Counter(t.status_label for t in lines)
    signal = Counter(SIGNALS.get(t.signal, t.signal) for t in lines)
    schedule = Counter(t.bucket for t in lines)
    rounds: dict[str, dict[str, Any]] = {}
    for r in sorted(lists.by_round(session, snap), key=lambda r: r.due_date):
        entry = rounds.setdefault(
            r.period, {"label": r.label, "owed": 0, "reported": 0, "missing": 0}
        )
        for key in ("owed", "reported", "missing"):
            entry[key] += getattr(r, key)
    board_scope = Scope(scope.government, None)
    units = ranking(session, board_scope, as_of, f.period).units
    return {
        "as_of": as_of,
        "leaders": leaders,
        "kpi": kpi,
        "charts": {
            "status": dict(status),
            "signal": {k: signal.get(k, 0) for k in SIGNALS.values()},
            "schedule": {b.value: schedule.get(b.value, 0) for b in rules.Bucket},
            "rounds": list(rounds.values()),
            "ranking": [{"unit": u.unit, "score": u.score} for u in units[:10]],
        },
        "overdue": lists.overdue(snap),
        "missing": lists.missing(snap),
        "ranking": units,
        "tasks": lines,
    }
