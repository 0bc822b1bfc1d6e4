"""Readiness: can this service serve now, and if not, which part of it is down.

A probe of a dead dependency can block far longer than an orchestrator waits for /readyz
(a Kafka client tries to bootstrap for 30 s; a host that vanished leaves a database connect
hanging until its timeout). So each check runs on a thread of its own and is waited for at
most ``timeout_s``, all of them side by side, so the whole answer comes within that however
many parts are down. A check still running from an earlier answer is not started again,
nor waited for (a hung broker is asked once at a time, not once per probe), and an answer is
kept for ``ttl_s``: a storm of probes costs one round of checks per ``ttl_s``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 1.5
TTL_S = 2.0
OK = "正常"


class NotReady(Exception):
    """A probe's own account of what is wrong, in Chinese: shown as it is."""


@dataclass(frozen=True)
class Check:
    """One part the service needs. ``probe`` returns when the part works and raises when
    it does not; ``label`` names the part in the answer (Chinese, for the operator)."""

    name: str
    label: str
    probe: Callable[[], None]


@dataclass(frozen=True)
class Report:
    """The answer: ``checks`` maps each check's name to 正常 or what is wrong with it."""

    ready: bool
    checks: dict[str, str]

    @property
    def detail(self) -> str:
        return "；".join(state for state in self.checks.values() if state != OK)


class _Run:
    """One probe on its own daemon thread: a probe that hangs must not hold up the answer,
    nor the process when it exits."""

    def __init__(self, check: Check) -> None:
        self.done = threading.Event()
        self.error: Exception | None = None
        self.started = time.monotonic()
        self._check = check
        threading.Thread(target=self._run, name=f"ready-{check.name}", daemon=True).start()

    def _run(self) -> None:
        try:
            self._check.probe()
        except Exception as exc:
            self.error = exc
        finally:
            self.done.set()


class Readiness:
    def __init__(
        self,
        checks: Sequence[Check],
        timeout_s: float = CHECK_TIMEOUT_S,
        ttl_s: float = TTL_S,
    ) -> None:
        self._checks = list(checks)
        self._timeout = timeout_s
        self._ttl = ttl_s
        self._runs: dict[str, _Run] = {}
        self._answer: Report | None = None
        self._expires = 0.0
        self._asking = threading.Lock()

    def report(self) -> Report:
        """The current answer: a kept one while it is fresh; otherwise a new one, within
        ``timeout_s``. While one caller asks, the others get the previous answer instead of
        waiting for it (the very first answer they all wait for)."""
        answer = self._answer
        if answer is not None and time.monotonic() < self._expires:
            return answer
        if answer is None:
            self._asking.acquire()
        elif not self._asking.acquire(blocking=False):
            return answer
        try:
            if self._answer is not None and time.monotonic() < self._expires:
                return self._answer  # another caller asked while this one waited
            answer = self._ask()
            self._answer, self._expires = answer, time.monotonic() + self._ttl
            return answer
        finally:
            self._asking.release()

    def _ask(self) -> Report:
        runs = []
        for check in self._checks:
            run = self._runs.get(check.name)
            if run is None or run.done.is_set():  # still running: that one is the answer
                run = self._runs[check.name] = _Run(check)
            runs.append((check, run))
        checks: dict[str, str] = {}
        for check, run in runs:
            # Each probe gets timeout_s from its start: the new ones run side by side, and
            # one still hanging from an earlier answer has had its time already.
            if not run.done.wait(max(0.0, run.started + self._timeout - time.monotonic())):
                log.warning("%s did not answer within %g s", check.name, self._timeout)
                checks[check.name] = f"{check.label}无应答（超过 {self._timeout:g} 秒）"
            elif isinstance(run.error, NotReady):
                log.warning("%s is not ready: %s", check.name, run.error)
                checks[check.name] = str(run.error)
            elif run.error is not None:
                log.warning("%s is down: %r", check.name, run.error)
                checks[check.name] = f"{check.label}不可用（{type(run.error).__name__}）"
            else:
                checks[check.name] = OK
        return Report(all(state == OK for state in checks.values()), checks)
