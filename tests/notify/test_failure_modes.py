"""Every failure the provider simulator can inject, through the REAL channels (the provider
clients over HTTP) against the REAL simulator, driven by the sender with a walked clock: the
right end — retried then delivered, failed over inside SMS, fallen back to the next channel,
recorded as failed or in doubt — and, counted at the simulator, never two deliveries to one
person.

One simulator for the module (reset before each case); each case arms its faults, sends one
reminder to one contact (WeCom userid ``zhangsan``, a mobile, an OA account) and walks the
sender's clock past each back-off until every delivery has reached its end. Timeouts are
short: the clients give up after 0.4 s (``DUBAN_NOTIFY_READ_TIMEOUT_S``), a fault holds the
answer 1 s.

The table is run on SQLite; a few cases that decide "exactly once" again on PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from delivery_world import MORNING, contact, deliver_event, deliveries, events, reminder

from duban.simulated import simulated_settings, simulator_config
from services.notify.channels.registry import build_channels
from services.notify.delivery.models import DUE, FINAL
from services.notify.delivery.sender import Sender
from services.notify.settings import NotifySettings
from services.notify.spec import SPEC
from shared.config import Settings
from shared.service import ServiceRuntime
from simulators.state import MODES
from simulators.testing import running_simulator

READ_TIMEOUT_S = 0.4
HANG_S = 1.0
MOBILE = "13912345678"

# unit → the OA system that serves it (the webhook serves every other unit)
OA_UNITS = {"weaver": "县发改局", "seeyon": "县财政局", "webhook": "县住建局"}


@dataclass(frozen=True)
class Case:
    """One injected failure and the end it must lead to.

    ``faults``: what is armed (target, mode[, times]); ``prefer``: the contact's channels in
    order; ``owner``: the unit (which OA system); ``sms``: the SMS providers' failover order.
    Expected: ``chain`` the deliveries in order as (channel, status), ``attempts`` of the
    first, ``delivered`` the messages the simulator delivered per target (every other target
    none), ``extra`` other records per (target, status) — WeCom duplicates, silent drops."""

    faults: tuple[tuple[Any, ...], ...]
    prefer: tuple[str, ...]
    chain: tuple[tuple[str, str], ...]
    attempts: int
    delivered: dict[str, int]
    extra: dict[tuple[str, str], int] = field(default_factory=dict)
    owner: str = "县住建局"
    sms: tuple[str, ...] = ("aliyun", "tencent")
    note: str = ""


APP = ("wecom_app", "sms")
APP_OK = (("wecom_app", "delivered"),)
SMS_OK = (("sms", "delivered"),)
SMS_IN_DOUBT = (("sms", "in_doubt"),)
TO_SMS = (("wecom_app", "failed"), ("sms", "delivered"))
OA_OK = (("oa_todo", "delivered"),)
ROBOT = ("wecom_robot",)


def _sms_cases(first: str, second: str) -> dict[str, Case]:
    """The same modes at either SMS provider, that provider first in the failover order."""
    order = (first, second)
    one = {first: 1}
    cases = {
        # the provider refused before accepting, for a reason of its own: the next one sends
        "busy": Case(((first, "busy"),), ("sms",), SMS_OK, 1, {second: 1}, sms=order),
        "rate_limited": Case(
            ((first, "rate_limited"),), ("sms",), SMS_OK, 1, {second: 1}, sms=order
        ),
        "server_error": Case(
            ((first, "server_error"),), ("sms",), SMS_OK, 1, {second: 1}, sms=order
        ),
        "template_rejected": Case(
            ((first, "template_rejected"),), ("sms",), SMS_OK, 1, {second: 1}, sms=order
        ),
        # the number's own flow control: no failover (that would get around it); retried later
        "throttled": Case(((first, "throttled"),), ("sms",), SMS_OK, 2, one, sms=order),
        # the number is wrong: no provider will take it, no other channel left: failed
        "bad_number": Case(
            ((first, "bad_number"),), ("sms",), (("sms", "failed"),), 1, {}, sms=order
        ),
        # no answer: it may have gone (timeout_after: it did) — never sent again
        "timeout_before": Case(
            ((first, "timeout_before"),), ("sms",), SMS_IN_DOUBT, 1, {}, sms=order
        ),
        "timeout_after": Case(
            ((first, "timeout_after"),), ("sms",), SMS_IN_DOUBT, 1, one, sms=order
        ),
    }
    return {f"{first}-{mode}": case for mode, case in cases.items()}


def _oa_cases(system: str) -> dict[str, Case]:
    owner = OA_UNITS[system]
    ok = {system: 1}
    cases = {
        "busy": Case(((system, "busy"),), ("oa_todo",), OA_OK, 2, ok, owner=owner),
        "server_error": Case(((system, "server_error"),), ("oa_todo",), OA_OK, 2, ok, owner=owner),
        # a to-do is keyed by our id: sending it again after no answer updates the same one
        "timeout_before": Case(
            ((system, "timeout_before"),), ("oa_todo",), OA_OK, 2, ok, owner=owner
        ),
        "timeout_after": Case(
            ((system, "timeout_after"),), ("oa_todo",), OA_OK, 2, ok, owner=owner
        ),
    }
    if system == "seeyon":  # the REST token is fetched again once, in the same call
        cases["token_invalid"] = Case(
            ((system, "token_invalid"),), ("oa_todo",), OA_OK, 1, ok, owner=owner
        )
    return {f"{system}-{mode}": case for mode, case in cases.items()}


CASES: dict[str, Case] = {
    # -- WeCom app messages ------------------------------------------------------------------
    # a stale token is fetched again and the message re-posted in the same call
    "wecom_app-token_expired": Case(
        (("wecom_app", "token_expired"),), APP, APP_OK, 1, {"wecom_app": 1}
    ),
    "wecom_app-token_invalid": Case(
        (("wecom_app", "token_invalid"),), APP, APP_OK, 1, {"wecom_app": 1}
    ),
    "wecom_app-busy": Case((("wecom_app", "busy"),), APP, APP_OK, 2, {"wecom_app": 1}),
    "wecom_app-rate_limited": Case(
        (("wecom_app", "rate_limited"),), APP, APP_OK, 2, {"wecom_app": 1}
    ),
    "wecom_app-server_error": Case(
        (("wecom_app", "server_error"),), APP, APP_OK, 2, {"wecom_app": 1}
    ),
    # no answer: sent again, WeCom's duplicate check drops the copy if the first one went
    "wecom_app-timeout_before": Case(
        (("wecom_app", "timeout_before"),), APP, APP_OK, 2, {"wecom_app": 1}
    ),
    "wecom_app-timeout_after": Case(
        (("wecom_app", "timeout_after"),),
        APP,
        APP_OK,
        2,
        {"wecom_app": 1},
        {("wecom_app", "duplicate"): 1},
    ),
    # the userid is unknown to WeCom: a permanent failure, the contact's SMS takes over
    "wecom_app-invalid_user": Case((("wecom_app", "invalid_user"),), APP, TO_SMS, 1, {"aliyun": 1}),
    # WeCom keeps failing until the delivery's window closes: SMS takes over
    "wecom_app-busy-until-deadline": Case(
        (("wecom_app", "busy", 1000),), APP, TO_SMS, 0, {"aliyun": 1}
    ),
    # over WeCom's per-member limit, WeCom answers ok and drops the message silently: the
    # client cannot see it (test_the_limiter_keeps_wecom_from_dropping_silently shows that the
    # sender's own limiter never lets it come to that)
    "wecom_app-throttled": Case(
        (("wecom_app", "throttled"),),
        APP,
        APP_OK,
        1,
        {},
        {("wecom_app", "dropped"): 1},
        note="undetectable by design",
    ),
    # -- WeCom's token endpoint: the message was never sent, so it is simply sent later ------
    **{
        f"gettoken-{mode}": Case((("gettoken", mode),), APP, APP_OK, 2, {"wecom_app": 1})
        for mode in MODES["gettoken"]
    },
    # -- SMS: Aliyun first, then Tencent; and Tencent first, then Aliyun ----------------------
    **_sms_cases("aliyun", "tencent"),
    **_sms_cases("tencent", "aliyun"),
    # both providers refuse for now: retried, then delivered by the first
    "sms-both-busy": Case(
        (("aliyun", "server_error"), ("tencent", "busy")), ("sms",), SMS_OK, 2, {"aliyun": 1}
    ),
    # -- the WeCom group robot (no duplicate check: never resent when in doubt) --------------
    "wecom_robot-busy": Case(
        (("wecom_robot", "busy"),), ROBOT, (("wecom_robot", "delivered"),), 2, {"wecom_robot": 1}
    ),
    "wecom_robot-rate_limited": Case(
        (("wecom_robot", "rate_limited"),),
        ROBOT,
        (("wecom_robot", "delivered"),),
        2,
        {"wecom_robot": 1},
    ),
    "wecom_robot-server_error": Case(
        (("wecom_robot", "server_error"),),
        ROBOT,
        (("wecom_robot", "delivered"),),
        2,
        {"wecom_robot": 1},
    ),
    "wecom_robot-timeout_before": Case(
        (("wecom_robot", "timeout_before"),), ROBOT, (("wecom_robot", "in_doubt"),), 1, {}
    ),
    "wecom_robot-timeout_after": Case(
        (("wecom_robot", "timeout_after"),),
        ROBOT,
        (("wecom_robot", "in_doubt"),),
        1,
        {"wecom_robot": 1},
    ),
    # -- OA to-dos: 泛微, 致远, our webhook ----------------------------------------------------
    **_oa_cases("weaver"),
    **_oa_cases("seeyon"),
    **_oa_cases("webhook"),
}


def test_the_table_covers_every_mode_the_simulator_documents() -> None:
    covered = {(f[0], f[1]) for case in CASES.values() for f in case.faults}
    documented = {(target, mode) for target, modes in MODES.items() for mode in modes}
    assert documented - covered == set()


# -- the world --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulator() -> Iterator[str]:
    with running_simulator(simulator_config()) as base:
        yield base


def _environment(base: str, sms_order: tuple[str, ...]) -> dict[str, str]:
    env = simulated_settings(base)
    config = simulator_config()
    seeyon_user, seeyon_password = next(iter(config.seeyon_users.items()))
    systems = json.loads(env["DUBAN_NOTIFY_OA_SYSTEMS"])
    systems["weaver"] = {
        "kind": "weaver",
        "base_url": f"{base}/weaver",
        "units": [OA_UNITS["weaver"]],
        "syscode": config.weaver_syscodes[0],
    }
    systems["seeyon"] = {
        "kind": "seeyon",
        "base_url": f"{base}/seeyon",
        "units": [OA_UNITS["seeyon"]],
        "rest_user": seeyon_user,
        "rest_password": seeyon_password,
        "register_code": config.seeyon_register_codes[0],
    }
    return env | {
        "DUBAN_NOTIFY_CHANNELS": "wecom_app,wecom_robot,sms,oa_todo",
        "DUBAN_NOTIFY_WECOM_ROBOT_KEY": config.robot_keys[0],
        "DUBAN_NOTIFY_OA_SYSTEMS": json.dumps(systems),
        "DUBAN_NOTIFY_SMS_PROVIDERS": json.dumps(list(sms_order)),
        "DUBAN_NOTIFY_READ_TIMEOUT_S": str(READ_TIMEOUT_S),
        "DUBAN_NOTIFY_CONNECT_TIMEOUT_S": "1",
    }


@dataclass
class World:
    runtime: ServiceRuntime
    sender: Sender
    control: httpx.Client

    def arm(self, target: str, mode: str, times: int = 1) -> None:
        armed = self.control.post(
            "/_control/faults",
            json={"target": target, "mode": mode, "times": times, "hang_s": HANG_S},
        )
        assert armed.status_code == 200, armed.text

    def received(self, status: str | None = None) -> Counter[str]:
        params = {"status": status} if status else {}
        found = self.control.get("/_control/received", params=params).json()
        return Counter(r["target"] for r in found)

    def walk(self, start: datetime = MORNING, limit: int = 40) -> datetime:
        """Passes at ``start``, then at each next attempt's time, until every delivery has
        reached its end; the time it ended."""
        now = start
        for _ in range(limit):
            self.sender.drain(now)
            rows = deliveries(self.runtime)
            due = [r.next_attempt_at for r in rows if r.status in DUE]
            if rows and not due:
                assert all(r.status in FINAL for r in rows), [(r.id, r.status) for r in rows]
                return now
            now = max(now, *(_aware(at) for at in due)) + timedelta(seconds=1)
        raise AssertionError(f"not settled: {[(r.channel, r.status) for r in rows]}")


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@contextmanager
def make_world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    base: str,
    url: str | None,
    sms_order: tuple[str, ...],
) -> Iterator[World]:
    for name, value in _environment(base, sms_order).items():
        monkeypatch.setenv(name, value)
    settings = NotifySettings(
        channels="wecom_app,wecom_robot,sms,oa_todo",
        backoff_first_s=10,
        backoff_max_s=60,
        retry_window_s=600,
        lease_s=60,
        workers=4,
    )
    runtime = ServiceRuntime(
        SPEC,
        Settings(data_dir=tmp_path, topic_prefix="n", database_url=url),
        bus=None,  # type: ignore[arg-type]
    )
    runtime.migrate()
    channels = build_channels(settings)
    sender = Sender(runtime.sessions, channels, settings, rand=lambda: 1.0)
    with httpx.Client(base_url=base, timeout=10) as control:
        control.post("/_control/reset").raise_for_status()
        try:
            yield World(runtime, sender, control)
        finally:
            sender.close()
            for channel in channels.values():
                close = getattr(getattr(channel, "client", None), "close", None)
                if close is not None:
                    close()
            runtime.dispose()


@pytest.fixture
def world_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, simulator: str
) -> Iterator[Callable[..., World]]:
    """Makes the world of a case (its database on SQLite or ``url``, its SMS order)."""
    with ExitStack() as stack:

        def make(url: str | None = None, sms_order: tuple[str, ...] = ("aliyun", "tencent")):
            return stack.enter_context(make_world(tmp_path, monkeypatch, simulator, url, sms_order))

        yield make


def run_case(world: World, case: Case) -> None:
    for fault in case.faults:
        world.arm(*fault)
    contact(
        world.runtime,
        owner=case.owner,
        channels=case.prefer,
        userid="zhangsan",
        mobile=MOBILE,
        oa_account="zhangsan-oa",
    )
    deliver_event(world.runtime, reminder(units=(case.owner,)))
    world.walk()

    rows = deliveries(world.runtime)
    assert tuple((r.channel, r.status) for r in rows) == case.chain, [
        (r.channel, r.status, r.attempts, r.last_code, r.last_message) for r in rows
    ]
    if case.attempts:
        assert rows[0].attempts == case.attempts, [(r.attempts, r.last_code) for r in rows]
    # at the simulator: what the person got, and nothing twice
    delivered = world.received("delivered")
    assert dict(delivered) == case.delivered, delivered
    for (target, status), count in case.extra.items():
        assert world.received(status)[target] == count, (target, status)
    # the end is told once: one event per delivery chain
    told = events(world.runtime)
    final = rows[-1].status
    if final == "delivered":
        assert len(told["notification.sent"]) == 1 and not told["notification.failed"], told
    else:
        assert not told["notification.sent"] and len(told["notification.failed"]) == 1, told
        assert told["notification.failed"][0]["outcome"] == final


@pytest.mark.parametrize("name", list(CASES))
def test_a_failure_mode_ends_right_and_never_twice(world_factory, name: str) -> None:
    case = CASES[name]
    run_case(world_factory(None, case.sms), case)


EXACTLY_ONCE_ON_POSTGRES = (
    "wecom_app-timeout_after",
    "wecom_app-invalid_user",
    "aliyun-timeout_after",
    "aliyun-server_error",
    "webhook-timeout_after",
)


@pytest.mark.postgres
@pytest.mark.parametrize("name", EXACTLY_ONCE_ON_POSTGRES)
def test_a_failure_mode_on_postgresql(world_factory, pg_url: str, name: str) -> None:
    case = CASES[name]
    run_case(world_factory(pg_url, case.sms), case)


def test_the_limiter_keeps_wecom_from_dropping_silently(world_factory) -> None:
    """WeCom drops the 31st message a minute to one member without saying so (the simulator
    records it ``dropped``): the sender's limiter, counted in the database, holds the 31st
    back to the next minute instead, so nothing is dropped and all 31 arrive."""
    world = world_factory()
    contact(world.runtime, channels=("wecom_app",), userid="lisi", mobile=MOBILE)
    # K large: no digest, every reminder is its own message
    world.sender.settings = world.sender.settings.model_copy(update={"digest_after": 1000})
    deliver_event(world.runtime, *(reminder(task=f"T{n}") for n in range(31)))
    first = world.sender.drain(MORNING)
    assert first.outcomes == {"delivered": 30} and first.deferred == 1, first
    world.control.post("/_control/clock", json={"advance": 61}).raise_for_status()
    world.walk(MORNING)
    assert world.received("delivered")["wecom_app"] == 31
    assert world.received("dropped")["wecom_app"] == 0
    assert {r.status for r in deliveries(world.runtime)} == {"delivered"}
