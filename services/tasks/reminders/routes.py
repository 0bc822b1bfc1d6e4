"""A government's reminder and escalation policy: read by everyone in the government,
changed by the bureau, every change audited."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from pydantic import Field, model_validator

from services.tasks.access.principal import Role, government_of, require_role
from services.tasks.access.routes import GovernmentQuery
from services.tasks.reminders.policy import policy_of, set_policy
from services.tasks.reminders.steps import ReminderPolicy
from shared.identity.verify import PrincipalDep
from shared.validation import ApiModel
from shared.web import SessionsDep

router = APIRouter(prefix="/policy", tags=["提醒与升级规则"])


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
