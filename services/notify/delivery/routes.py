"""``/notify/deliveries``: every message sent or owed, to whom, on which channel, with every
attempt and what came back. The bureau sees its government's; a unit (or its OA system) its
own; a leader his or her own. Only the bureau may resend a failed or doubtful message: an
explicit decision, recorded with who took it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from services.notify.delivery.models import (
    FAILED,
    IN_DOUBT,
    PENDING,
    SKIPPED,
    Delivery,
    DeliveryAttempt,
)
from services.notify.errors import Conflict, NotFound
from services.notify.models import Notice
from services.notify.scope import GovernmentQuery, addressed_to
from services.notify.settings import notify_settings
from shared.contracts import limits
from shared.identity.principal import Principal, Role, require_role, scoped_government
from shared.identity.verify import PrincipalDep
from shared.web import SessionsDep

router = APIRouter(prefix="/deliveries", tags=["消息投递"])
DeliveryId = Annotated[int, Path(ge=1, le=2**31 - 1, description="投递编号")]
STATUSES = "pending|sending|delivered|failed|deferred|in_doubt|skipped"


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    channel: str
    address: str = Field(description="发送地址（手机号已打码）")
    provider: str
    provider_id: str | None
    outcome: str
    code: str
    message: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    actor: str | None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    notice_id: int
    government_id: str
    task_id: str
    kind: str
    owner_kind: str
    owner: str
    post: str
    recipient_name: str
    channel: str
    status: str
    urgent: bool
    attempts: int
    next_attempt_at: datetime
    deadline: datetime
    provider: str
    provider_id: str | None
    last_code: str
    last_message: str
    previous_id: int | None
    refers_to: int | None
    digest_of: int | None
    body: str
    created_at: datetime
    updated_at: datetime
    history: list[AttemptOut] = Field(default_factory=list, description="每次发送及结果")


def _visible(principal: Principal, government: str | None):
    scope = scoped_government(principal, government)
    query = select(Delivery).where(addressed_to(principal, Delivery.owner_kind, Delivery.owner))
    return query.where(Delivery.government_id == scope) if scope else query


def _out(session, rows: list[Delivery]) -> list[DeliveryOut]:
    attempts: dict[int, list[AttemptOut]] = {r.id: [] for r in rows}
    if rows:
        for a in session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(attempts))
            .order_by(DeliveryAttempt.id)
        ):
            attempts[a.delivery_id].append(AttemptOut.model_validate(a))
    out = []
    for row in rows:
        item = DeliveryOut.model_validate(row)
        item.history = attempts[row.id]
        out.append(item)
    return out


@router.get("", summary="消息投递记录（本政府的；单位、领导只见发给自己的），含每次发送")
def list_deliveries(
    principal: PrincipalDep,
    sessions: SessionsDep,
    task_id: Annotated[str | None, Query(max_length=limits.TASK_ID)] = None,
    unit: Annotated[
        str | None, Query(max_length=limits.UNIT_NAME, description="收件单位或领导")
    ] = None,
    status: Annotated[str | None, Query(pattern=f"^({STATUSES})$")] = None,
    channel: Annotated[str | None, Query(max_length=30)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    government: GovernmentQuery = None,
) -> list[DeliveryOut]:
    query = _visible(principal, government)
    for column, value in (
        (Delivery.task_id, task_id),
        (Delivery.owner, unit),
        (Delivery.status, status),
        (Delivery.channel, channel),
    ):
        if value:
            query = query.where(column == value)
    with sessions() as session:
        rows = list(session.scalars(query.order_by(Delivery.id.desc()).limit(limit)))
        return _out(session, rows)


@router.post(
    "/{delivery_id}/retry",
    summary="重发一条失败或结果不明的消息（督查部门决定；可能造成重复，记录操作人）",
)
def retry_delivery(
    delivery_id: DeliveryId,
    principal: PrincipalDep,
    sessions: SessionsDep,
    government: GovernmentQuery = None,
) -> DeliveryOut:
    require_role(principal, Role.SUPERVISOR)
    now = datetime.now(UTC)
    window = timedelta(seconds=notify_settings().retry_window_s)
    with sessions.begin() as session:
        row = session.scalar(
            _visible(principal, government).where(Delivery.id == delivery_id).with_for_update()
        )
        if row is None:
            raise NotFound(f"投递 {delivery_id} 不存在")
        if row.status not in (FAILED, IN_DOUBT, SKIPPED):
            raise Conflict(
                f"投递 {delivery_id} 状态为 {row.status}，只有失败、结果不明或未发送的可重发"
            )
        decision = f"{principal.name}决定重发"
        if row.status == SKIPPED:
            # no contact, or none reachable, when it was planned: plan the notice again
            notice = session.get(Notice, row.notice_id)
            if notice is not None:
                notice.status = "pending"
            row.last_message = f"{row.last_message}；{decision}：按现有联系人重新安排"
            row.dedup_key = f"{row.dedup_key[:480]}#retry{row.id}"  # frees the key
        else:
            row.status, row.next_attempt_at, row.deadline = PENDING, now, now + window
            row.last_code, row.last_message = "operator", f"{decision}（{row.last_message}）"
        row.updated_at = now
        session.add(
            DeliveryAttempt(
                delivery_id=row.id,
                number=row.attempts,
                channel=row.channel,
                rate_key="",
                address="",
                provider="",
                outcome="resend",
                code="operator",
                message=decision,
                started_at=now,
                finished_at=now,
                actor=principal.name,
            )
        )
        session.flush()
        return _out(session, [row])[0]
