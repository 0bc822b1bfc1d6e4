"""The sender: one pass hands every due delivery to its channel, once.

A pass, at ``now`` (the clock is a parameter: tests walk time, production passes the real
time):

1. plans the notices owed (``planning``);
2. takes back deliveries a dead sender left ``sending`` longer than the lease: resent when
   the channel deduplicates by itself (``safe_to_resend``), otherwise in doubt for good;
3. claims a batch of due deliveries in one transaction (PostgreSQL: an advisory lock for
   the rate windows, ``FOR UPDATE SKIP LOCKED`` for the rows), holds back what quiet hours
   or a rate limit forbid, merges a recipient's reminders beyond K a day into one message,
   and marks the rest ``sending`` with an attempt row, committed *before* any call;
4. sends outside any transaction, several at once;
5. records each outcome, only on rows still held by this pass's claim: delivered (event
   ``notification.sent``); retry with back-off until the deadline, then the next channel;
   failed: the next channel, or ``notification.failed``; in doubt: resent only where safe.

So a delivery reaches its channel only through a claim that moved it from due to
``sending`` in a committed transaction: a redelivered event, a restarted sender or a second
replica finds it ``sending`` or done, never due. See docs/notify.md.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from services.notify.channels.base import Channel, Outcome, Outgoing, Recipient, Status
from services.notify.contacts.models import Contact
from services.notify.contacts.phones import mask
from services.notify.delivery.backoff import next_attempt
from services.notify.delivery.events import failed_event, sent_event
from services.notify.delivery.limits import Windows, longest_window
from services.notify.delivery.models import (
    DEFERRED,
    DELIVERED,
    DUE,
    FAILED,
    IN_DOUBT,
    PENDING,
    SENDING,
    SKIPPED,
    Delivery,
    DeliveryAttempt,
)
from services.notify.delivery.planning import choose_channel, label, plan_notices
from services.notify.delivery.quiet import is_urgent, quiet_until
from services.notify.delivery.sql import among
from services.notify.models import Notice
from services.notify.settings import NotifySettings
from services.notify.templates.defaults import FIELDS
from services.notify.templates.render import Templates, render
from shared.contracts import Event
from shared.logs import mask_phone
from shared.messaging.outbox import add_events

log = logging.getLogger(__name__)

CLAIM_LOCK = 0x6E6F7469  # "noti": serialises claims (and so the rate windows) across replicas
NEVER_MERGED = ("urge", "todo_done")  # a 催办 is the bureau's own words; a to-do is an item
COUNTED = ("sending", "delivered", "in_doubt")  # attempts a recipient may have received
NOT_SENT = ("merged", "resend")  # attempt rows that were no call of their own


@dataclass
class Message:
    """One hand-over: the outgoing message and the deliveries it carries."""

    channel: Channel
    outgoing: Outgoing
    rows: list[int]  # delivery ids; the first is the lead
    outcome: Outcome | None = None
    duration_ms: int = 0


@dataclass
class PassReport:
    planned: int = 0
    recovered: int = 0
    claimed: int = 0
    messages: int = 0
    deferred: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def rate_key(channel: str, address: str, contact_id: int | None) -> str:
    """What the limiter and the digest count by: the address (hashed: no number is kept a
    second time), or the contact for channels without one."""
    if not address:
        return f"c{contact_id}"
    return hashlib.sha1(f"{channel}:{address}".encode()).hexdigest()[:32]


class Sender:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        channels: Mapping[str, Channel],
        settings: NotifySettings,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.sessions = sessions
        self.channels = dict(channels)
        self.order = tuple(self.channels)
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone)
        self.window = timedelta(seconds=settings.retry_window_s)
        self.lease = timedelta(seconds=settings.lease_s)
        self.rand = rand
        self._pool = ThreadPoolExecutor(settings.workers, thread_name_prefix="notify-send")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    # --- a pass ----------------------------------------------------------------------------

    def run_once(self, now: datetime) -> PassReport:
        report = PassReport()
        with self.sessions.begin() as session:
            _serialise(session)
            report.planned, events = plan_notices(
                session, self.channels, self.order, now, self.window, self.settings.batch
            )
            add_events(session, events)
        with self.sessions.begin() as session:
            _serialise(session)
            report.recovered = self._recover(session, now)
        token = str(uuid.uuid4())
        with self.sessions.begin() as session:
            messages = self._claim(session, now, token, report)
        if not messages:
            return report
        for message, (outcome, took) in zip(
            messages, self._pool.map(self._send, messages), strict=True
        ):
            message.outcome, message.duration_ms = outcome, took
        with self.sessions.begin() as session:
            self._record(session, messages, now, token, report)
        return report

    def drain(self, now: datetime, passes: int = 50) -> PassReport:
        """Passes at ``now`` until nothing more is due (or ``passes`` ran)."""
        total = PassReport()
        for _ in range(passes):
            report = self.run_once(now)
            for name in ("planned", "recovered", "claimed", "messages", "deferred"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            for key, count in report.outcomes.items():
                total.outcomes[key] += count
            if not (report.planned or report.claimed or report.recovered):
                break
        return total

    # --- 2. what a dead sender left --------------------------------------------------------

    def _recover(self, session: Session, now: datetime) -> int:
        rows = list(
            session.scalars(
                select(Delivery)
                .where(Delivery.status == SENDING, Delivery.claimed_at < now - self.lease)
                .order_by(Delivery.id)
                .limit(self.settings.batch)
                .with_for_update(skip_locked=True)
            )
        )
        events: list[Event] = []
        for row in rows:
            channel = self.channels.get(row.channel)
            self._close_attempts(session, row, "in_doubt", "lease", "发送进程中断，结果未知", now)
            row.claim, row.updated_at = None, now
            if channel is not None and channel.safe_to_resend:
                row.status, row.next_attempt_at = PENDING, now
                row.last_code, row.last_message = "lease", "发送进程中断，渠道可安全重发，将重发"
            else:
                row.status, row.last_code = IN_DOUBT, "lease"
                row.last_message = "发送进程中断，可能已发送，请核实（未重发，以免重复）"
                events.append(failed_event(row, "in_doubt", now))
        add_events(session, events)
        return len(rows)

    def _close_attempts(
        self, session: Session, row: Delivery, outcome: str, code: str, message: str, now: datetime
    ) -> None:
        for attempt in session.scalars(
            select(DeliveryAttempt).where(
                DeliveryAttempt.delivery_id == row.id, DeliveryAttempt.outcome == "sending"
            )
        ):
            attempt.outcome, attempt.code, attempt.message = outcome, code, message
            attempt.finished_at = now

    # --- 3. the claim ----------------------------------------------------------------------

    def _claim(
        self, session: Session, now: datetime, token: str, report: PassReport
    ) -> list[Message]:
        _serialise(session, CLAIM_LOCK)
        rows = list(
            session.scalars(
                select(Delivery)
                .where(Delivery.status.in_(DUE), Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(self.settings.batch)
                .with_for_update(skip_locked=True)
            )
        )
        report.claimed = len(rows)
        if not rows:
            return []
        notices = {
            n.id: n
            for n in session.scalars(
                select(Notice).where(among(session, Notice.id, {r.notice_id for r in rows}))
            )
        }
        contacts = {
            c.id: c
            for c in session.scalars(
                select(Contact).where(
                    among(session, Contact.id, {r.contact_id for r in rows if r.contact_id})
                )
            )
        }
        templates = Templates(session, {r.government_id for r in rows})
        events: list[Event] = []
        groups: dict[tuple[str, str], list[tuple[Delivery, Contact, str]]] = defaultdict(list)
        for row in rows:
            channel = self.channels.get(row.channel)
            contact = contacts.get(row.contact_id or 0)
            notice = notices[row.notice_id]
            if contact is None or not contact.active:
                row.status, row.last_code = SKIPPED, "contact_inactive"
                row.last_message, row.updated_at = f"联系人已停用（{row.owner}{row.post}）", now
                events.append(failed_event(row, "skipped", now))
                continue
            if channel is None:
                self._fall_back(
                    session,
                    row,
                    contact,
                    "disabled",
                    f"{label(row.channel)}渠道未启用",
                    now,
                    events,
                )
                continue
            address = contact.address(channel.address)
            if address is None:
                reason = f"联系人未登记{label(row.channel)}所需的账号或号码"
                self._fall_back(session, row, contact, "no_address", reason, now, events)
                continue
            urgent = row.kind == "todo_done" or is_urgent(row.kind, notice.due_date, now, self.zone)
            row.urgent = urgent
            quiet = channel.quiet_hours and not urgent and not contact.quiet_exempt
            until = (
                quiet_until(now, self.settings.quiet_start, self.settings.quiet_end, self.zone)
                if quiet
                else None
            )
            if until is not None:
                row.status, row.next_attempt_at, row.updated_at = DEFERRED, until, now
                row.deadline = max(row.deadline, until + self.window)
                row.last_code = "quiet_hours"
                row.last_message = f"免打扰时段，{until.astimezone(self.zone):%m月%d日 %H:%M}后发送"
                report.deferred += 1
                continue
            groups[(row.channel, rate_key(row.channel, address, contact.id))].append(
                (row, contact, address)
            )
        messages = self._messages(session, groups, notices, templates, now, token, report, events)
        add_events(session, events)
        return messages

    def _messages(
        self,
        session: Session,
        groups: dict[tuple[str, str], list[tuple[Delivery, Contact, str]]],
        notices: dict[int, Notice],
        templates: Templates,
        now: datetime,
        token: str,
        report: PassReport,
        events: list[Event],
    ) -> list[Message]:
        messages: list[Message] = []
        tried: list[dict[str, object]] = []  # the attempt rows, written at once below
        by_channel: dict[str, list[str]] = defaultdict(list)
        for name, key in groups:
            by_channel[name].append(key)
        midnight = datetime.combine(
            now.astimezone(self.zone).date(), datetime.min.time(), self.zone
        )
        for name, keys in by_channel.items():
            channel = self.channels[name]
            windows = Windows(channel.limits, self._history(session, channel, keys, now))
            today = self._sent_since(session, name, keys, midnight) if channel.digest else {}
            for key in keys:
                group = groups[(name, key)]
                for parts in self._split(channel, group, today.get(key, 0)):
                    at = windows.allowed_at(key, now)
                    if at > now:
                        for row, contact, _ in parts:
                            if at > row.deadline:
                                reason = "超过发送频率限制，期限内无法发出"
                                self._fall_back(
                                    session, row, contact, "rate_limited", reason, now, events
                                )
                            else:
                                row.status, row.next_attempt_at, row.updated_at = DEFERRED, at, now
                                row.last_code = "rate_limited"
                                row.last_message = (
                                    f"发送频率限制，{at.astimezone(self.zone):%H:%M:%S}后发送"
                                )
                                report.deferred += 1
                        continue
                    windows.take(key, now)
                    messages.append(
                        self._hand_over(channel, parts, notices, templates, key, now, token, tried)
                    )
        if tried:  # one executemany, no ids asked back (sql.py); found by (delivery, number)
            session.execute(insert(DeliveryAttempt.__table__), tried)
        report.messages = len(messages)
        return messages

    def _split(
        self, channel: Channel, group: list[tuple[Delivery, Contact, str]], sent_today: int
    ) -> list[list[tuple[Delivery, Contact, str]]]:
        """The messages of one recipient on one channel in this pass: each reminder alone,
        or, when together they would take the recipient past K separate messages today, the
        mergeable ones as one digest (docs/notify.md, "Digest")."""
        if not channel.digest:
            return [[item] for item in group]
        mergeable = [item for item in group if item[0].kind not in NEVER_MERGED]
        alone = [[item] for item in group if item[0].kind in NEVER_MERGED]
        if len(mergeable) >= 2 and sent_today + len(mergeable) > self.settings.digest_after:
            return [*alone, mergeable]
        return alone + [[item] for item in mergeable]

    def _history(
        self, session: Session, channel: Channel, keys: list[str], now: datetime
    ) -> list[tuple[str, datetime]]:
        if not channel.limits:
            return []
        since = now - longest_window(channel.limits)
        query = select(DeliveryAttempt.rate_key, DeliveryAttempt.started_at).where(
            DeliveryAttempt.channel == channel.name,
            DeliveryAttempt.started_at > since,
            DeliveryAttempt.outcome.not_in(NOT_SENT),
        )
        if all(limit.per_recipient for limit in channel.limits):
            query = query.where(among(session, DeliveryAttempt.rate_key, keys))
        return [(k, _aware(at)) for k, at in session.execute(query)]

    def _sent_since(
        self, session: Session, channel: str, keys: list[str], since: datetime
    ) -> dict[str, int]:
        rows = session.execute(
            select(DeliveryAttempt.rate_key, func.count())
            .where(
                DeliveryAttempt.channel == channel,
                among(session, DeliveryAttempt.rate_key, keys),
                DeliveryAttempt.started_at >= since,
                DeliveryAttempt.outcome.in_(COUNTED),
            )
            .group_by(DeliveryAttempt.rate_key)
        )
        return {key: count for key, count in rows}

    def _hand_over(
        self,
        channel: Channel,
        parts: list[tuple[Delivery, Contact, str]],
        notices: dict[int, Notice],
        templates: Templates,
        key: str,
        now: datetime,
        token: str,
        tried: list[dict[str, object]],
    ) -> Message:
        lead, contact, address = parts[0]
        values = self._values(lead, contact, notices[lead.notice_id])
        kind = lead.kind
        if len(parts) > 1:
            kind = "digest"
            lines = []
            for n, (row, _, _) in enumerate(parts, start=1):
                notice = notices[row.notice_id]
                lines.append(f"{n}. {notice.body}（{self._link(row.task_id)}）")
            values |= {"count": str(len(parts)), "tasks": "\n".join(lines)}
        title, body = templates.get(lead.government_id, kind)
        title, body = render(title, values), render(body, values)
        for row, _, _ in parts:
            row.status, row.claim, row.claimed_at, row.updated_at = SENDING, token, now, now
            row.attempts += 1
            row.body = body
            row.digest_of = lead.id if row is not lead else None
            merged = row is not lead
            tried.append(
                {
                    "delivery_id": row.id,
                    "number": row.attempts,
                    "channel": channel.name,
                    "rate_key": key,
                    "address": mask(address) if channel.address == "mobile" else address[:80],
                    "provider": "",
                    "provider_id": None,
                    "outcome": "merged" if merged else "sending",
                    "code": "",
                    "message": f"并入第 {lead.id} 号投递的汇总消息" if merged else "",
                    "started_at": now,
                    "finished_at": None,
                    "duration_ms": None,
                    "actor": None,
                }
            )
        outgoing = Outgoing(
            delivery_id=lead.id,
            key=f"duban-{lead.id}",
            channel=channel.name,
            recipient=Recipient(
                contact.id,
                contact.owner_kind,
                contact.owner,
                contact.post,
                contact.name,
                contact.wecom_userid,
                contact.mobile,
                contact.oa_account,
            ),
            kind=kind,
            title=title,
            body=body,
            link=values["link"],
            params=values,
            urgent=lead.urgent,
            government_id=lead.government_id,
            task_id=lead.task_id,
            attempt=lead.attempts,
            covers=tuple(row.id for row, _, _ in parts),
            refers_to=lead.refers_to,
        )
        return Message(channel, outgoing, [row.id for row, _, _ in parts])

    def _link(self, task_id: str) -> str:
        return f"{self.settings.portal_url.rstrip('/')}/tasks/tasks/{quote(task_id, safe='')}"

    def _values(self, row: Delivery, contact: Contact, notice: Notice) -> dict[str, str]:
        due = notice.due_date
        values = {
            "notice": notice.body,
            "task_number": notice.task_number,
            "subject": notice.subject,
            "due": f"{due.month}月{due.day}日" if due else "",
            "link": self._link(row.task_id),
            "portal": self.settings.portal_url,
            "owner": row.owner,
            "post": contact.post,
            "name": contact.name,
            "count": "1",
            "tasks": notice.body,
        }
        return {name: values[name] for name in FIELDS}

    # --- 4. the call -----------------------------------------------------------------------

    def _send(self, message: Message) -> tuple[Outcome, int]:
        started = time.perf_counter()
        try:
            outcome = message.channel.send(message.outgoing)
        except Exception as exc:  # a channel must not raise; if it does, it may have sent
            log.warning(
                "channel %s raised on delivery %d: %s",
                message.channel.name,
                message.outgoing.delivery_id,
                mask_phone(repr(exc)),
            )
            outcome = Outcome.in_doubt("exception", "发送时出错，结果未知")
        return outcome, int((time.perf_counter() - started) * 1000)

    # --- 5. the outcomes -------------------------------------------------------------------

    def _record(
        self,
        session: Session,
        messages: list[Message],
        now: datetime,
        token: str,
        report: PassReport,
    ) -> None:
        ids = [i for m in messages for i in m.rows]
        rows = {
            r.id: r
            for r in session.scalars(
                select(Delivery).where(among(session, Delivery.id, ids), Delivery.claim == token)
            )
        }
        leads = [m.rows[0] for m in messages]
        attempts = {
            (a.delivery_id, a.number): a
            for a in session.scalars(
                select(DeliveryAttempt).where(
                    among(session, DeliveryAttempt.delivery_id, leads),
                    DeliveryAttempt.outcome != "resend",  # an operator's note, not a call
                )
            )
        }
        contact_ids = {r.contact_id for r in rows.values() if r.contact_id}
        contacts = {
            c.id: c
            for c in session.scalars(select(Contact).where(among(session, Contact.id, contact_ids)))
        }
        events: list[Event] = []
        for message in messages:
            outcome = message.outcome
            assert outcome is not None
            report.outcomes[outcome.status.value] += 1
            attempt = attempts[(message.rows[0], message.outgoing.attempt)]
            attempt.outcome, attempt.code = outcome.status.value, outcome.code[:100]
            attempt.message, attempt.provider = outcome.message, outcome.provider[:30]
            attempt.provider_id = outcome.provider_id
            attempt.finished_at, attempt.duration_ms = now, message.duration_ms
            for delivery_id in message.rows:
                row = rows.get(delivery_id)
                if row is None:  # a slow call: the lease ran out and the row was taken back
                    log.warning("delivery %d: outcome after its lease ran out", delivery_id)
                    continue
                self._apply(session, row, contacts.get(row.contact_id or 0), message, now, events)
        add_events(session, events)

    def _apply(
        self,
        session: Session,
        row: Delivery,
        contact: Contact | None,
        message: Message,
        now: datetime,
        events: list[Event],
    ) -> None:
        outcome = message.outcome
        assert outcome is not None
        row.claim, row.updated_at = None, now
        row.provider = outcome.provider[:30]
        row.last_code, row.last_message = outcome.code[:100], outcome.message
        status = outcome.status
        if status == Status.IN_DOUBT and message.channel.safe_to_resend:
            status = Status.RETRY  # the provider would drop a second copy: send again
        if status == Status.DELIVERED:
            row.status, row.provider_id = DELIVERED, outcome.provider_id
            row.last_message = outcome.message or "已发送"
            events.append(sent_event(row, now))
        elif status == Status.RETRY:
            at = next_attempt(
                now,
                row.attempts,
                self.settings.backoff_first_s,
                self.settings.backoff_max_s,
                outcome.retry_after_s,
                self.rand,
            )
            if at > row.deadline:
                reason = f"{outcome.message or '暂时无法发送'}；重试至期限仍未成功"
                self._fall_back(
                    session, row, contact, outcome.code or "deadline", reason, now, events
                )
            else:
                row.status, row.next_attempt_at = PENDING, at
        elif status == Status.FAILED:
            self._fall_back(
                session, row, contact, outcome.code, outcome.message or "发送失败", now, events
            )
        else:
            row.status = IN_DOUBT
            row.last_message = (
                f"{outcome.message or '结果未知'}：可能已发送，请核实（未重发，以免重复）"
            )
            events.append(failed_event(row, "in_doubt", now))

    def _fall_back(
        self,
        session: Session,
        row: Delivery,
        contact: Contact | None,
        code: str,
        reason: str,
        now: datetime,
        events: list[Event],
    ) -> None:
        """This channel is done with: the contact's next channel not yet tried gets a new
        delivery (same message, same recipient: the unique key allows one per channel);
        with none left, the message failed for this recipient."""
        row.status, row.last_code, row.last_message, row.updated_at = (
            FAILED,
            code[:100],
            reason,
            now,
        )
        row.claim = None
        following = None
        if contact is not None and contact.active:
            tried = session.scalars(
                select(Delivery.channel).where(
                    Delivery.dedup_key == row.dedup_key,
                    Delivery.recipient_key == row.recipient_key,
                )
            )
            following = choose_channel(contact, self.channels, self.order, [*tried, row.channel])
        if following is None:
            events.append(failed_event(row, "failed", now))
            return
        row.last_message = f"{reason}；改由{label(following)}发送"
        session.add(
            Delivery(
                notice_id=row.notice_id,
                government_id=row.government_id,
                task_id=row.task_id,
                dedup_key=row.dedup_key,
                recipient_key=row.recipient_key,
                contact_id=row.contact_id,
                owner_kind=row.owner_kind,
                owner=row.owner,
                post=row.post,
                recipient_name=row.recipient_name,
                channel=following,
                kind=row.kind,
                urgent=row.urgent,
                status=PENDING,
                attempts=0,
                next_attempt_at=now,
                deadline=now + self.window,
                provider="",
                last_code="",
                last_message=f"{label(row.channel)}发送失败后改用此渠道",
                previous_id=row.id,
                refers_to=row.refers_to,
                body="",
                created_at=now,
                updated_at=now,
            )
        )


def _serialise(session: Session, advisory: int | None = None) -> None:
    """Make this transaction the only one of its kind: on SQLite, take the write lock now
    (a deferred transaction reads outside it, and two sender threads would both see the
    same rows due); on PostgreSQL the rows are locked (``SKIP LOCKED``), and the claim also
    takes an advisory lock so that its rate windows are counted by one sender at a time."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("UPDATE delivery SET id = id WHERE 0 = 1"))
    elif dialect == "postgresql" and advisory is not None:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory})


def _aware(at: datetime) -> datetime:
    """SQLite gives back naive UTC datetimes."""
    from datetime import UTC

    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
