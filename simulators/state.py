"""The simulator's memory: what it received, its counters, pending faults, tokens and to-dos.

All of it sits behind one re-entrant lock, because uvicorn serves requests from its event loop
while tests read the state from other threads, and a check-then-record (a rate window, the
duplicate check) must not interleave with another request's.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from dataclasses import asdict, dataclass, field
from typing import Any

TARGETS = (
    "gettoken",
    "wecom_app",
    "wecom_robot",
    "aliyun",
    "tencent",
    "weaver",
    "seeyon",
    "webhook",
)

# Which fault modes make sense for which target, i.e. which the provider documents.
MODES: dict[str, tuple[str, ...]] = {
    "gettoken": ("busy", "rate_limited", "server_error", "timeout_before"),
    "wecom_app": (
        "token_expired",
        "token_invalid",
        "busy",
        "rate_limited",
        "invalid_user",
        "throttled",
        "server_error",
        "timeout_before",
        "timeout_after",
    ),
    "wecom_robot": ("busy", "rate_limited", "server_error", "timeout_before", "timeout_after"),
    "aliyun": (
        "busy",
        "rate_limited",
        "throttled",
        "bad_number",
        "template_rejected",
        "server_error",
        "timeout_before",
        "timeout_after",
    ),
    "tencent": (
        "busy",
        "rate_limited",
        "throttled",
        "bad_number",
        "template_rejected",
        "server_error",
        "timeout_before",
        "timeout_after",
    ),
    "weaver": ("busy", "server_error", "timeout_before", "timeout_after"),
    "seeyon": ("token_invalid", "busy", "server_error", "timeout_before", "timeout_after"),
    "webhook": ("busy", "server_error", "timeout_before", "timeout_after"),
}

# Failures a client should retry; the random-failure mode draws among these.
TRANSIENT = ("busy", "rate_limited", "server_error")


class Clock:
    """Real time by default; tests freeze or shift it to walk through rate-limit windows
    without sleeping."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: float | None = None
        self._offset = 0.0

    def now(self) -> float:
        with self._lock:
            return self._frozen if self._frozen is not None else time.time() + self._offset

    def set(self, at: float) -> None:
        with self._lock:
            self._frozen = at

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds

    def real(self) -> None:
        with self._lock:
            self._frozen, self._offset = None, 0.0

    def describe(self) -> dict[str, Any]:
        with self._lock:
            frozen = self._frozen
            offset = self._offset
        return {"now": self.now(), "frozen": frozen is not None, "offset_s": offset}


@dataclass
class Fault:
    """One armed failure: fires on the next ``times`` matching requests."""

    target: str
    mode: str
    times: int = 1
    match: str | None = None
    hang_s: float = 2.0

    def matches(self, recipients: list[str]) -> bool:
        if self.match is None:
            return True
        wanted = _norm(self.match)
        return any(_norm(r) == wanted for r in recipients)


@dataclass
class RandomFaults:
    """``failure_rate`` of requests fail in one of ``modes``, drawn from a seeded generator so
    that a failing run can be replayed."""

    failure_rate: float
    modes: tuple[str, ...]
    rng: random.Random
    hang_s: float = 2.0


@dataclass
class Record:
    """One message as the recipient's side sees it (one per recipient), or a to-do call."""

    id: str
    target: str
    recipient: str
    content: str
    at: float
    status: str  # delivered | duplicate | dropped
    provider_id: str | None = None
    duplicate_of: str | None = None
    request_id: str | None = None
    body: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Todo:
    """A to-do pushed into an OA: open until the done (或办结) call, or deleted."""

    system: str  # weaver | seeyon | webhook
    key: str  # the provider's id for it (flowid, taskId, todo_id)
    receiver: str
    title: str
    state: str  # open | done | deleted
    url: str | None
    created_at: float
    updated_at: float
    history: list[str] = field(default_factory=list)
    last_ts: int | None = None  # E9 receivets, to drop stale updates
    raw: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _norm(recipient: str) -> str:
    """WeCom userids are case-insensitive; phone numbers come with or without +86."""
    r = recipient.strip().lower()
    for prefix in ("+86", "0086"):
        if r.startswith(prefix):
            return r[len(prefix) :]
    return r


def new_id(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex


class SimulatorState:
    """Everything mutable, behind ``lock``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.reset()

    def reset(self) -> None:
        """Forget everything (not the configuration); the clock goes back to real time."""
        with self.lock:
            self.records: list[Record] = []
            self.todos: dict[tuple[str, str, str], Todo] = {}
            self.faults: list[Fault] = []
            self.random_faults: dict[str, RandomFaults] = {}
            self.stats: dict[str, Counter[str]] = defaultdict(Counter)
            self.failed: dict[str, Counter[str]] = defaultdict(Counter)
            # token -> {agentid, expires_at, revoked: None|"expired"|"invalid"}
            self.tokens: dict[str, dict[str, Any]] = {}
            self.windows: dict[tuple[Any, ...], deque[float]] = defaultdict(deque)
            self.duplicates: dict[tuple[int, str], tuple[float, list[str], str]] = {}
            self.nonces: dict[str, float] = {}
            self.seeyon_tokens: dict[str, str] = {}
            self.sequence = 0
        self.clock.real()

    # --- faults ---------------------------------------------------------------------------

    def arm(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def arm_random(self, target: str, faults: RandomFaults) -> None:
        with self.lock:
            if faults.failure_rate <= 0:
                self.random_faults.pop(target, None)
            else:
                self.random_faults[target] = faults

    def take_fault(self, target: str, recipients: list[str] | None = None) -> Fault | None:
        """The fault that fires on this request, if any: an armed one first (used up one
        time), else a random draw."""
        with self.lock:
            for fault in self.faults:
                if fault.target == target and fault.matches(recipients or []):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
            chance = self.random_faults.get(target)
            if chance and chance.rng.random() < chance.failure_rate:
                mode = chance.rng.choice(chance.modes)
                return Fault(target, mode, hang_s=chance.hang_s)
        return None

    def count_failure(self, target: str, mode: str) -> None:
        with self.lock:
            self.failed[target][mode] += 1

    def count(self, target: str, what: str, n: int = 1) -> None:
        with self.lock:
            self.stats[target][what] += n

    # --- records ----------------------------------------------------------------------------

    def record(
        self, target: str, recipient: str, content: str, status: str, **extra: Any
    ) -> Record:
        with self.lock:
            rec = Record(
                id=new_id(),
                target=target,
                recipient=recipient,
                content=content,
                at=self.clock.now(),
                status=status,
                **extra,
            )
            self.records.append(rec)
            self.stats[target][status] += 1
            return rec

    def received(
        self, target: str | None = None, recipient: str | None = None, status: str | None = None
    ) -> list[Record]:
        with self.lock:
            return [
                r
                for r in self.records
                if (target is None or r.target == target)
                and (recipient is None or _norm(r.recipient) == _norm(recipient))
                and (status is None or r.status == status)
            ]

    def stats_view(self) -> dict[str, Any]:
        with self.lock:
            out: dict[str, Any] = {}
            for target in TARGETS:
                counts = self.stats.get(target, Counter())
                out[target] = {
                    "accepted": counts["accepted"],
                    "delivered": counts["delivered"],
                    "duplicate": counts["duplicate"],
                    "dropped": counts["dropped"],
                    "rejected": counts["rejected"],
                    "failed": dict(self.failed.get(target, Counter())),
                }
            return out

    # --- sliding windows ---------------------------------------------------------------------

    def window_count(self, key: tuple[Any, ...], span_s: float) -> int:
        """How many hits ``key`` had in the last ``span_s`` seconds of the simulator's clock."""
        with self.lock:
            hits = self.windows[key]
            cutoff = self.clock.now() - span_s
            return sum(1 for t in hits if t > cutoff)

    def window_hit(self, key: tuple[Any, ...], keep_s: float = 86400.0) -> None:
        with self.lock:
            now = self.clock.now()
            hits = self.windows[key]
            hits.append(now)
            while hits and hits[0] <= now - keep_s:
                hits.popleft()

    def next_sequence(self) -> int:
        with self.lock:
            self.sequence += 1
            return self.sequence

    # --- to-dos ------------------------------------------------------------------------------

    def todo_list(self, system: str | None = None) -> list[Todo]:
        with self.lock:
            return [t for t in self.todos.values() if system is None or t.system == system]
