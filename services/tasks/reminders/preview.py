"""The operators' scan: run the deadline scan for a day, or preview it (a dry run), and say
of each reminder what it is, to whom, and why — by ``duban scan`` and by the admin API.

A preview is the scan itself in a transaction that is rolled back: it reads, marks, keys and
deduplicates exactly as the scan would, so what it prints is what the scan then asks for on
that day (unless something changes in between). The day is an argument, not a clock
override: nothing else in the service reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from services.tasks import audit
from services.tasks.calendar import WorkCalendar
from services.tasks.calendar.store import load_calendar
from services.tasks.reminders.policy import load_policies
from services.tasks.reminders.scan import Request, scan
from services.tasks.reminders.steps import ReminderKind, ReminderPolicy

KIND_LABELS = {
    ReminderKind.BEFORE_DUE: "到期前提醒",
    ReminderKind.DUE_TODAY: "到期当日提醒",
    ReminderKind.OVERDUE: "逾期提醒",
    ReminderKind.REPORT_DUE: "报送提醒",
    ReminderKind.REPORT_MISSING: "报送催办",
    ReminderKind.ESCALATION: "报告责任领导",
    ReminderKind.CIRCULAR: "列入通报名单",
}


@dataclass(frozen=True)
class Planned:
    """One reminder of a scan, as an operator reads it."""

    task_id: str
    government_id: str
    task_number: str
    kind: str
    label: str
    step: str
    subject: str
    due_date: date
    workdays_left: int
    recipients: list[str]
    reason: str
    dedup_key: str

    def line(self) -> str:
        nobody = "（未列责任领导）" if self.kind == ReminderKind.ESCALATION else "（无责任单位）"
        whom = "、".join(self.recipients) or nobody
        return (
            f"{self.government_id}  {self.task_number}“{self.subject}”  {self.label}({self.step})"
            f"  到期 {self.due_date.isoformat()}  → {whom}  原因：{self.reason}"
        )


def reason(kind: str, left: int, policy: ReminderPolicy) -> str:
    """Why a reminder of this kind is due today, in the words of the rule."""
    before = "、".join(str(d) for d in policy.before_due)
    reasons = {
        ReminderKind.BEFORE_DUE: f"距到期还有{left}个工作日；规则：到期前{before}个工作日提醒",
        ReminderKind.DUE_TODAY: "今天到期",
        ReminderKind.OVERDUE: f"已逾期{-left}个工作日；规则：逾期后每{policy.overdue_every}"
        "个工作日提醒一次",
        ReminderKind.REPORT_DUE: f"报送截止前{policy.report_before}个工作日内尚未报送",
        ReminderKind.REPORT_MISSING: "报送截止日已过，尚未报送",
        ReminderKind.ESCALATION: f"逾期满{policy.escalate_to_leader_after}个工作日，报告责任领导",
        ReminderKind.CIRCULAR: f"逾期满{policy.circular_after}个工作日，列入通报名单",
    }
    return reasons.get(ReminderKind(kind), kind)


def _planned(r: Request, today: date, calendar: WorkCalendar, policy: ReminderPolicy) -> Planned:
    left = calendar.workdays_between(today, r.due)
    return Planned(
        task_id=r.task_id,
        government_id=r.government_id,
        task_number=r.number,
        kind=r.step.kind,
        label=KIND_LABELS[ReminderKind(r.step.kind)],
        step=r.step.step,
        subject=r.subject,
        due_date=r.due,
        workdays_left=left,
        recipients=list(r.recipients),
        reason=reason(r.step.kind, left, policy),
        dedup_key=r.key,
    )


def scan_day(
    sessions: sessionmaker[Session], today: date, dry_run: bool, actor: str = "命令行"
) -> list[Planned]:
    """The reminders the scan asks for on ``today`` (a dry run: would ask; nothing kept). A
    scan an operator runs is audited, with the day and what it asked."""
    session = sessions()
    try:
        session.begin()
        calendar = load_calendar(session)
        policies = load_policies(session)
        requests = scan(session, today, datetime.now(UTC), calendar, policies, actor=actor)
        planned = [_planned(r, today, calendar, policies.for_(r.government_id)) for r in requests]
        if dry_run:
            session.rollback()
        else:
            audit.record(
                session,
                government_id="*",
                actor=actor,
                action="scan.run",
                entity="scan",
                entity_id=today.isoformat(),
                after={"date": today.isoformat(), "reminders": len(planned)},
            )
            session.commit()
        return planned
    finally:
        session.close()
