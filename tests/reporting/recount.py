"""A straightforward recount from the raw events, written apart from the service's handlers
and queries: what the views must equal. It reuses only the rules' arithmetic (序时进度, round
names, working days), which docs/reporting.md states."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date
from zoneinfo import ZoneInfo

from services.reporting import rules
from shared.contracts import Envelope, decode

BJ = ZoneInfo("Asia/Shanghai")


def bj(moment) -> date:
    return (
        moment.astimezone(BJ).date()
        if moment.tzinfo
        else moment.replace(tzinfo=UTC).astimezone(BJ).date()
    )


def recount(
    events: list[Envelope], as_of: date, government: str, period: str | None = None
) -> dict:
    """The views' figures from the raw events, judged on ``as_of``; missing reports are for
    the round named ``period`` when given (else the latest round due before ``as_of``)."""
    docs, tasks, marks = {}, {}, set()
    for env in events:
        e = decode(env)
        kind = env.type
        if kind == "document.published":
            dates = list(e.reporting_dates) or rules.default_rounds(e.year)
            docs[e.document_id] = {
                "gov": e.government_id,
                "year": e.year,
                "issued": e.issued_date,
                "rounds": rules.period_names(sorted(dates)),
            }
        elif kind == "task.registered":
            shares = {
                u: {
                    "role": "lead"
                    if u in e.lead_units
                    else "cooperating"
                    if u in e.cooperating_units
                    else "responsible",
                    "status": "assigned",
                    "percent": None,
                    "last": None,
                }
                for u in e.units
            }
            tasks[e.task_id] = {
                "gov": e.government_id,
                "doc": e.document_id,
                "status": e.status,
                "signal": "green",
                "registered": bj(env.occurred_at),
                "dues": sorted(e.due_dates),
                "leaders": e.leaders,
                "section": e.section,
                "shares": shares,
                "percent": 0,
                "completed": None,
                "number": e.number,
            }
        elif e.task_id in tasks if hasattr(e, "task_id") else False:
            t = tasks[e.task_id]
            if kind == "task.status_changed":
                t["status"] = e.status
                t["completed"] = bj(env.occurred_at) if e.status == "completed" else None
            elif kind == "task.signal_changed":
                t["signal"] = e.signal
            elif kind == "assignment.changed":
                t["shares"].setdefault(e.unit, {"percent": None, "last": None})
                t["shares"][e.unit].update(role=e.role, status=e.status)
            elif kind == "progress.submitted":
                share = t["shares"][e.unit]
                share["percent"], share["last"] = e.percent, e.submitted_at
                t["percent"] = e.task_percent
                if e.period:
                    marks.add((e.task_id, e.unit, e.period))
            elif kind == "milestone.rescheduled":
                t["dues"] = sorted(
                    [e.due_date, *[d for d in t["dues"] if d != e.previous][: len(t["dues"]) - 1]]
                )
    d = as_of.toordinal()
    out = {"tasks": {}, "units": defaultdict(lambda: defaultdict(int)), "missing": set()}
    for task_id, t in tasks.items():
        if t["gov"] != government or t["status"] == "withdrawn":
            continue
        doc = docs[t["doc"]]
        year = doc["year"]
        start = max(
            [
                date(year, 1, 1),
                *[x for x in (doc["issued"], t["registered"]) if x and x.year == year],
            ]
        )
        end = max([date(year, 12, 31), *t["dues"]])
        deadline = max(t["dues"]) if t["dues"] else date(year, 12, 31)
        expected = rules.expected_percent(d, start.toordinal(), end.toordinal())
        done = t["status"] == "completed"
        active = t["status"] in rules.ACTIVE
        overdue = active and bool(t["dues"]) and t["dues"][0] < as_of
        past = [(due, p) for due, p in doc["rounds"].items() if due < as_of]
        if period is not None:
            past = [(due, p) for due, p in doc["rounds"].items() if p == period]
        current = max(past) if past else None
        missing = []
        if current and active and start <= current[0]:
            missing = [
                u
                for u, s in t["shares"].items()
                if s["role"] in ("lead", "responsible")
                and s["status"] not in ("returned", "removed")
                and (task_id, u, current[1]) not in marks
            ]
        out["missing"] |= {(task_id, u) for u in missing}
        out["tasks"][task_id] = {
            "status": t["status"],
            "colour": "done" if done else t["signal"],
            "bucket": rules.bucket(t["status"], t["percent"], expected).value,
            "overdue": overdue,
            "workdays": rules.workdays_between(t["dues"][0], as_of) if overdue else 0,
            "on_time": done and t["completed"] <= deadline,
            "percent": t["percent"],
            "leaders": t["leaders"],
            "section": t["section"],
            "missing": sorted(missing),
            "shares": {u: s["percent"] for u, s in t["shares"].items()},
        }
        for u, s in t["shares"].items():
            if s["status"] in ("returned", "removed"):
                continue
            f = out["units"][u]
            if s["role"] == "cooperating":
                f["as_helper"] += 1
                continue
            f["tasks"] += 1
            f["as_lead" if s["role"] == "lead" else "as_responsible"] += 1
            f["done"] += done
            f["done_on_time"] += done and t["completed"] <= deadline
            f["overdue"] += overdue
            f["missing"] += u in missing
            if not done:
                p = s["percent"] or 0
                f[
                    "ahead"
                    if p >= expected + rules.AHEAD_MARGIN
                    else "on_schedule"
                    if p >= expected
                    else "behind"
                ] += 1
    return out
