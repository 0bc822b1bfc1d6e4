"""A government's reminder and escalation policy: read by everyone in the government,
changed by the bureau, every change audited. And the operators' scan: preview (dry run) or
run the deadline scan for a day, each reminder with its reason (administrators only: a scan
spans every government)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, model_validator

from services.tasks.access.principal import Role, government_of, require_role
from services.tasks.access.routes import GovernmentQuery
from services.tasks.clock import beijing_today
from services.tasks.reminders.policy import policy_of, set_policy
from services.tasks.reminders.preview import scan_day
from services.tasks.reminders.steps import ReminderPolicy
from shared.identity.verify import PrincipalDep
from shared.validation import ApiModel, Day
from shared.web import SessionsDep

router = APIRouter(prefix="/policy", tags=["提醒与升级规则"])
scan_router = APIRouter(prefix="/scan", tags=["到期扫描"])
ScanDate = Annotated[Day | None, Query(description="扫描日期 YYYY-MM-DD，默认今天（北京时间）")]


class PolicyIn(ApiModel):
    before_due: list[int] = Field(
        description="到期前提前提醒的工作日数，如 [5, 3, 1]", min_length=0, max_length=10
    )
    overdue_every: int = Field(ge=1, le=60, description="逾期后每隔几个工作日再提醒")
    report_before: int = Field(ge=0, le=30, description="报送截止前几个工作日提醒")
    escalate_to_leader_after: int = Field(ge=1, le=250, description="逾期几个工作日后报告责任领导")
    circular_after: int = Field(ge=1, le=250, description="逾期几个工作日后列入通报名单")

    @model_validator(mode="after")
    def sensible(self) -> PolicyIn:
        if any(not 1 <= d <= 60 for d in self.before_due):
            raise ValueError("提前提醒的工作日数应在 1 到 60 之间")
        if self.circular_after < self.escalate_to_leader_after:
            raise ValueError("列入通报的天数不应早于报告责任领导的天数")
        return self

    def policy(self) -> ReminderPolicy:
        before = tuple(sorted(set(self.before_due), reverse=True))
        return ReminderPolicy(
            before,
            self.overdue_every,
            self.report_before,
            self.escalate_to_leader_after,
            self.circular_after,
        )


class PolicyOut(PolicyIn):
    government_id: str


def _out(government_id: str, policy: ReminderPolicy) -> PolicyOut:
    fields = asdict(policy)
    fields["before_due"] = list(fields["before_due"])
    return PolicyOut(government_id=government_id, **fields)


@router.get("", summary="查看提醒与升级规则")
def get_policy(
    principal: PrincipalDep, sessions: SessionsDep, government: GovernmentQuery = None
) -> PolicyOut:
    gov = government_of(principal, government)
    with sessions() as session:
        return _out(gov, policy_of(session, gov))


@router.put("", summary="修改提醒与升级规则（留痕）")
def put_policy(
    body: PolicyIn,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> PolicyOut:
    require_role(principal, Role.SUPERVISOR)
    gov = government_of(principal, government)
    with sessions.begin() as session:
        set_policy(session, gov, body.policy(), principal.name)
    return _out(gov, body.policy())


class PlannedOut(BaseModel):
    task_id: str
    government_id: str
    task_number: str
    kind: str = Field(description="提醒种类：before_due、overdue、escalation 等")
    label: str = Field(description="提醒种类（中文）")
    step: str = Field(description="相对到期日的工作日数：-3、0、+1 等")
    subject: str
    due_date: date
    workdays_left: int = Field(description="距到期的工作日数，逾期为负")
    recipients: list[str]
    reason: str = Field(description="为何今天提醒（规则原文）")
    dedup_key: str


class ScanOut(BaseModel):
    date: date
    dry_run: bool
    reminders: list[PlannedOut]


async def _scan(
    principal: PrincipalDep, sessions: SessionsDep, day: date | None, dry: bool
) -> ScanOut:
    require_role(principal, Role.ADMIN)
    day = day or beijing_today()
    planned = await run_in_threadpool(scan_day, sessions, day, dry, principal.name)
    reminders = [PlannedOut.model_validate(asdict(p)) for p in planned]
    return ScanOut(date=day, dry_run=dry, reminders=reminders)


@scan_router.get("/preview", summary="预演到期扫描：列出某日将发出的提醒及原因（不发出）")
async def preview_scan(
    principal: PrincipalDep, sessions: SessionsDep, date: ScanDate = None
) -> ScanOut:
    return await _scan(principal, sessions, date, dry=True)


@scan_router.post("", summary="立即执行某日的到期扫描（已提醒过的不再重复）")
async def run_scan(
    principal: PrincipalDep, sessions: SessionsDep, date: ScanDate = None
) -> ScanOut:
    return await _scan(principal, sessions, date, dry=False)
