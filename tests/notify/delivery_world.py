"""What the notify tests share: a scriptable fake channel, contacts, requests, and ways to
look at deliveries, attempts and events (the fixtures are in conftest.py)."""

from __future__ import annotations

import itertools
import threading
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from helpers import as_records
from sqlalchemy import select

from services.notify.channels.base import Address, Outcome, Outgoing, RateLimit
from services.notify.contacts.service import ContactData, put_contact
from services.notify.delivery.models import Delivery, DeliveryAttempt
from services.notify.delivery.sender import Sender
from services.notify.settings import NotifySettings
from shared.contracts import Event
from shared.contracts.tasks import ReminderRequestedV1
from shared.messaging.tables import OUTBOX
from shared.service import ServiceRuntime

GOV = "gov-a"


@dataclass
class FakeChannel:
    """A channel whose answers are scripted per call (``script``: outcomes, or exceptions to
    raise, taken in order; then ``default``); it counts what it was given, per delivery."""

    name: str = "wecom_app"
    address: Address = "wecom_userid"
    safe_to_resend: bool = True
    quiet_hours: bool = False
    digest: bool = True
    limits: list[RateLimit] = field(default_factory=list)
    default: Outcome = field(default_factory=lambda: Outcome.delivered("fake", "m1"))
    script: deque = field(default_factory=deque)
    calls: list[Outgoing] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.script = deque(self.script)

    def send(self, message: Outgoing) -> Outcome:
        with self.lock:
            self.calls.append(message)
            answer = self.script.popleft() if self.script else self.default
        if isinstance(answer, Exception):
            raise answer
        return answer

    def delivered_counts(self) -> Counter[int]:
        """Calls per delivery id (a digest counts for every delivery it carries)."""
        return Counter(d for m in self.calls for d in m.covers)


def wecom(**kw) -> FakeChannel:
    limits = [RateLimit(30, 60, True), RateLimit(1000, 3600, True)]
    return FakeChannel("wecom_app", "wecom_userid", True, False, True, limits, **kw)


def sms(**kw) -> FakeChannel:
    return FakeChannel("sms", "mobile", False, True, True, [RateLimit(20, 86400, True)], **kw)


def robot(**kw) -> FakeChannel:
    return FakeChannel("wecom_robot", "none", True, True, True, [RateLimit(20, 60)], **kw)


def oa(**kw) -> FakeChannel:
    return FakeChannel("oa_todo", "oa_account", True, False, False, [], **kw)


def settings(**kw) -> NotifySettings:
    base = {"backoff_first_s": 10, "backoff_max_s": 60, "retry_window_s": 600, "lease_s": 60}
    return NotifySettings(**(base | kw))


def sender(runtime: ServiceRuntime, *channels: FakeChannel, **kw) -> Sender:
    return Sender(runtime.sessions, {c.name: c for c in channels}, settings(**kw), rand=lambda: 1.0)


_mobiles = itertools.count(13900000000)


def contact(
    runtime: ServiceRuntime,
    owner: str = "县住建局",
    post: str = "联络员",
    channels: tuple[str, ...] = ("wecom_app", "sms"),
    owner_kind: str = "unit",
    userid: str | None = "zhangsan",
    mobile: str | None = "auto",
    exempt: bool = False,
    oa_account: str | None = None,
) -> int:
    number = str(next(_mobiles)) if mobile == "auto" else mobile
    data = ContactData(
        owner_kind, owner, post, "张三", userid, number, oa_account, list(channels), exempt
    )
    with runtime.sessions.begin() as session:
        return put_contact(session, GOV, data, "测试").id


_keys = itertools.count(1)


def reminder(
    units: tuple[str, ...] = ("县住建局",),
    kind: str = "before_due",
    due: date = date(2026, 6, 30),
    leaders: tuple[str, ...] = (),
    task: str = "T1",
) -> ReminderRequestedV1:
    return ReminderRequestedV1(
        dedup_key=f"{kind}:{task}:{next(_keys)}",
        task_id=task,
        government_id=GOV,
        kind=kind,
        step="-3",
        due_date=due,
        units=list(units),
        leaders=list(leaders),
        subject="6月底前",
        task_number="（二）",
        task_text="完成城关污水管网改造",
    )


def deliver_event(runtime: ServiceRuntime, *events: Event) -> None:
    runtime.subscriber(as_records(*(e.envelope() for e in events)))


def deliveries(runtime: ServiceRuntime) -> list[Delivery]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def attempts(runtime: ServiceRuntime) -> list[DeliveryAttempt]:
    with runtime.sessions() as session:
        return list(session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)))


def events(runtime: ServiceRuntime) -> dict[str, list[dict]]:
    import json

    found: dict[str, list[dict]] = defaultdict(list)
    with runtime.engine.connect() as conn:
        for payload in conn.scalars(select(OUTBOX.c.payload).order_by(OUTBOX.c.seq)):
            envelope = json.loads(payload)
            found[envelope["type"]].append(envelope["data"])
    return found


# 10:00 in Beijing on a working day, far from quiet hours
MORNING = datetime(2026, 6, 22, 2, 0, tzinfo=UTC)
