"""People log in (issue 10): accounts with argon2id passwords, lock-out, admin reset and own
change, a session cookie (HttpOnly, SameSite, CSRF) that intake, notify and reporting verify
by themselves with the same role scoping as a token, and that ends everywhere when logged
out or reset. On SQLite and PostgreSQL, through the HTTP API of the four services in one
process (``Browser``: a client with its own cookie jar, like a browser)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import wait_until
from sqlalchemy import select
from tasks_world import GOV_A, GOV_B, World, service_app, world

from services.tasks.accounts.models import Account
from services.tasks.accounts.passwords import generate_password, weakness
from services.tasks.settings import tasks_settings
from shared.identity import sessions as cookies
from shared.identity.cache import PrincipalCache

SESSION_KEY = "test-session-key-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
GOOD = "Kp7r-Xm3a-Qd9w"
FAILED = "用户名或密码不正确"
SERVICES = ("intake", "tasks", "notify", "reporting")
NOTICE = (Path(__file__).parents[2] / "examples" / "qingchuan-2026-notice.txt").read_text("utf-8")


@contextmanager
def env(**values: str) -> Iterator[None]:
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    cookies.session_settings.cache_clear()
    tasks_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        cookies.session_settings.cache_clear()
        tasks_settings.cache_clear()


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None) -> Iterator[World]:
    settings = {"DUBAN_SESSION_KEY": SESSION_KEY, "DUBAN_TASKS_LOGIN_FAILURE_DELAY_S": "0.01"}
    with (
        env(**settings),
        world(tmp_path_factory.mktemp("accounts"), "accounts", module_database_url, SERVICES) as w,
    ):
        w.admin("PUT", "/tasks/directory/units/县住建局", json={}, params={"government": GOV_A})
        for service in SERVICES:  # revocations are seen within a second here, not 30 s
            service_app(w.client.app, service).state.principals = PrincipalCache(ttl_s=1.0)
        yield w


class Browser:
    """One person's browser: its own cookies."""

    def __init__(self, w: World) -> None:
        self.client = TestClient(w.client.app)

    def login(self, login: str, password: str) -> Any:
        return self.client.post("/tasks/login", json={"login": login, "password": password})

    @property
    def csrf(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.client.cookies.get(cookies.CSRF_COOKIE) or ""}

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.client.post(url, **kwargs)


_made = iter(range(1, 10_000))


def account(w: World, role: str = "supervisor", password: str = GOOD, **body: Any) -> str:
    """A new account of government A; its login."""
    login = f"{role}{next(_made)}"
    body = {"login": login, "display_name": "张三", "role": role, "government_id": GOV_A, **body}
    w.admin("POST", "/tasks/accounts", json={**body, "password": password})
    return login


def logged_in(w: World, role: str = "supervisor", **body: Any) -> tuple[Browser, str]:
    login = account(w, role, **body)
    browser = Browser(w)
    assert browser.login(login, GOOD).status_code == 200
    return browser, login


def account_id(w: World, login: str) -> int:
    (found,) = [a for a in w.admin("GET", "/tasks/accounts") if a["login"] == login]
    return found["id"]


# --- passwords -----------------------------------------------------------------------------


def test_the_password_is_kept_as_an_argon2id_hash_only(w: World) -> None:
    login = account(w)
    with w.sessions() as session:
        stored = session.scalar(select(Account.password_hash).where(Account.login == login))
    assert stored.startswith("$argon2id$v=19$") and GOOD not in stored
    listed = w.admin("GET", "/tasks/accounts")
    assert "password_hash" not in str(listed) and "$argon2" not in str(listed)


def test_a_generated_password_is_shown_once_and_meets_the_rule(w: World) -> None:
    body = {"login": "generated1", "display_name": "李四", "role": "leader", "leader": "王明"}
    made = w.admin("POST", "/tasks/accounts", json={**body, "government_id": GOV_A})
    assert made["password"] and weakness(made["password"], "generated1") is None
    assert made["must_change_password"] is True
    assert Browser(w).login("generated1", made["password"]).status_code == 200
    assert all(a.get("password") is None for a in w.admin("GET", "/tasks/accounts"))


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Ab1-xyz", "至少 10 位"),
        ("abcdefghijk", "至少三类"),
        ("abcdefgh1234", "至少三类"),
        ("Password#2026", "过于简单"),
        ("Xx1-strong1-weak0", "登录名"),
    ],
)
def test_a_weak_password_is_refused(w: World, password: str, why: str) -> None:
    body = {"login": "weak0", "display_name": "弱", "role": "supervisor", "government_id": GOV_A}
    response = w.client.post(
        "/tasks/accounts", json={**body, "password": password}, headers=w.headers("admin")
    )
    assert response.status_code == 422 and why in response.json()["detail"], response.text


def test_generated_passwords_are_strong_and_differ() -> None:
    made = {generate_password() for _ in range(50)}
    assert len(made) == 50 and all(weakness(p) is None for p in made)


# --- logging in ----------------------------------------------------------------------------


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(w: World) -> None:
    login = account(w)
    wrong = Browser(w).login(login, "Wrong#Pass-2026")
    unknown = Browser(w).login("nobody-here", "Wrong#Pass-2026")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": FAILED, "code": "unauthorized"}
    assert cookies.COOKIE not in wrong.cookies


def test_five_failures_lock_the_account_with_429_and_retry_after(w: World) -> None:
    login = account(w)
    browser, before = Browser(w), logged_in(w)[0]  # another person, unaffected
    session, _ = Browser(w), None
    assert session.login(login, GOOD).status_code == 200
    answers = [browser.login(login, f"Wrong#Pass-{n}").status_code for n in range(5)]
    assert answers == [401, 401, 401, 401, 429]
    locked = browser.login(login, GOOD)
    assert locked.status_code == 429, "the right password does not open a locked account"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert FAILED not in locked.json()["detail"] and "分钟后再试" in locked.json()["detail"]
    assert session.get("/tasks/me").status_code == 401, "a lock-out ends the sessions"
    assert before.get("/tasks/me").status_code == 200
    (row,) = [a for a in w.admin("GET", "/tasks/accounts") if a["login"] == login]
    assert row["locked_until"] is not None


def test_an_unknown_name_is_locked_out_alike(w: World) -> None:
    browser = Browser(w)
    answers = [browser.login("ghost-user", f"Wrong#Pass-{n}").status_code for n in range(6)]
    assert answers == [401, 401, 401, 401, 429, 429]


def test_an_admin_reset_unlocks_and_ends_the_sessions(w: World) -> None:
    login = account(w)
    first, second = Browser(w), Browser(w)
    assert first.login(login, GOOD).status_code == 200
    for n in range(5):
        second.login(login, f"Wrong#Pass-{n}")
    assert second.login(login, GOOD).status_code == 429
    other = Browser(w)
    account_id_ = account_id(w, login)
    reset = w.admin("POST", f"/tasks/accounts/{account_id_}/password", json={})
    assert reset["locked_until"] is None and reset["must_change_password"] is True
    assert second.login(login, GOOD).status_code == 401, "the old password is gone"
    assert other.login(login, reset["password"]).status_code == 200, "unlocked"
    assert first.get("/tasks/me").status_code == 401


def test_a_reset_ends_a_session_in_every_service(w: World) -> None:
    browser, login = logged_in(w)
    urls = ("/tasks/me", "/intake/documents", "/notify/notices", "/reporting/overview")
    for url in urls:  # accepted, and so cached, everywhere
        assert browser.get(url).status_code == 200, url
    w.admin("POST", f"/tasks/accounts/{account_id(w, login)}/password", json={})
    assert browser.get("/tasks/me").status_code == 401, "at once where it was reset"
    for url in urls:
        wait_until(lambda u=url: browser.get(u).status_code == 401, 30, f"{url} to refuse")


def test_a_logout_ends_the_session_in_every_service(w: World) -> None:
    browser, _ = logged_in(w)
    cookie = browser.client.cookies.get(cookies.COOKIE)
    assert browser.get("/reporting/overview").status_code == 200
    assert browser.post("/tasks/logout", headers=browser.csrf).status_code == 200
    assert browser.client.cookies.get(cookies.COOKIE) is None, "the cookies are cleared"
    replay = TestClient(w.client.app, cookies={cookies.COOKIE: cookie})
    assert replay.get("/tasks/me").status_code == 401, "a copied cookie is dead too"
    for url in ("/intake/documents", "/notify/notices", "/reporting/overview"):
        wait_until(lambda u=url: replay.get(u).status_code == 401, 30, f"{url} to refuse")


def test_a_disabled_account_cannot_log_in_and_its_sessions_end(w: World) -> None:
    browser, login = logged_in(w)
    w.admin("PATCH", f"/tasks/accounts/{account_id(w, login)}", json={"disabled": True})
    assert browser.get("/tasks/me").status_code == 401
    assert Browser(w).login(login, GOOD).json()["detail"] == FAILED
    w.admin("PATCH", f"/tasks/accounts/{account_id(w, login)}", json={"disabled": False})
    assert Browser(w).login(login, GOOD).status_code == 200


def test_changing_ones_own_password_needs_the_old_one(w: World) -> None:
    browser, login = logged_in(w)
    other = Browser(w)
    assert other.login(login, GOOD).status_code == 200
    new = "Nw5t-Hq8k-Lm2p"
    url = "/tasks/me/password"
    wrong = browser.post(
        url, json={"old_password": "Wrong#1234x", "new_password": new}, headers=browser.csrf
    )
    assert wrong.status_code == 422 and "原密码" in wrong.json()["detail"]
    weak = browser.post(
        url, json={"old_password": GOOD, "new_password": "short"}, headers=browser.csrf
    )
    assert weak.status_code == 422
    done = browser.post(url, json={"old_password": GOOD, "new_password": new}, headers=browser.csrf)
    assert done.status_code == 200, done.text
    assert done.json()["account"]["must_change_password"] is False
    assert browser.get("/tasks/me").status_code == 200, "a new session for the person"
    assert other.get("/tasks/me").status_code == 401, "every other session ends"
    assert Browser(w).login(login, GOOD).status_code == 401
    assert Browser(w).login(login, new).status_code == 200
    token = w.client.post(
        url, json={"old_password": GOOD, "new_password": new}, headers=w.headers("admin")
    )
    assert token.status_code == 403, "a token has no password"


# --- the cookie and CSRF -------------------------------------------------------------------


def test_the_cookies_are_httponly_samesite_and_site_wide(w: World) -> None:
    login = account(w)
    response = Browser(w).login(login, GOOD)
    set_cookies = response.headers.get_list("set-cookie")
    (session,) = [c for c in set_cookies if c.startswith(f"{cookies.COOKIE}=")]
    (csrf,) = [c for c in set_cookies if c.startswith(f"{cookies.CSRF_COOKIE}=")]
    flags = {part.strip().lower() for part in session.split(";")[1:]}
    assert {"httponly", "path=/", "samesite=lax"} <= flags
    assert not any(f.startswith(("max-age", "expires")) for f in flags), "ends with the browser"
    assert "httponly" not in csrf.lower(), "a page's script reads it to send it back"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["csrf_token"] == response.cookies[cookies.CSRF_COOKIE]


def test_cookies_are_secure_in_production_mode() -> None:
    with env(DUBAN_PRODUCTION="true", DUBAN_SESSION_COOKIE_SECURE=""):
        assert cookies.session_settings().secure
    with env(DUBAN_PRODUCTION="false", DUBAN_SESSION_COOKIE_SECURE="true"):
        assert cookies.session_settings().secure
    with env(DUBAN_PRODUCTION="false", DUBAN_SESSION_COOKIE_SECURE=""):
        assert not cookies.session_settings().secure


@pytest.mark.parametrize(
    "url",
    ["/tasks/directory/units/县财政局?government=default", "/intake/documents/text"],
)
def test_a_change_with_the_cookie_needs_the_csrf_token(w: World, url: str) -> None:
    browser, _ = logged_in(w)
    method = "PUT" if "directory" in url else "POST"
    body = {} if method == "PUT" else {"text": NOTICE}
    without = browser.client.request(method, url, json=body)
    assert without.status_code == 403 and "CSRF" in without.json()["detail"]
    wrong = browser.client.request(method, url, json=body, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    right = browser.client.request(method, url, json=body, headers=browser.csrf)
    assert right.status_code < 300, right.text


def test_another_sessions_csrf_token_does_not_do(w: World) -> None:
    mine, _ = logged_in(w)
    theirs, _ = logged_in(w)
    url = "/tasks/directory/units/县财政局?government=default"
    assert mine.client.put(url, json={}, headers=theirs.csrf).status_code == 403


def test_a_bearer_token_needs_no_csrf_token(w: World) -> None:
    url = "/tasks/directory/units/县财政局?government=default"
    assert w.client.put(url, json={}, headers=w.headers("admin")).status_code == 200


def test_a_tampered_cookie_is_refused(w: World) -> None:
    browser, _ = logged_in(w)
    cookie = browser.client.cookies.get(cookies.COOKIE)
    body, _, mac = cookie.partition(".")
    claims = cookies.read(cookie)
    forged = cookies.Claims(**{**claims.__dict__, "role": "admin"})
    forged_body = cookies.sign(forged).partition(".")[0]
    for bad in (f"{forged_body}.{mac}", f"{body}.{'A' * len(mac)}", "garbage"):
        client = TestClient(w.client.app, cookies={cookies.COOKIE: bad})
        assert client.get("/tasks/me").status_code == 401


def test_idle_and_absolute_lifetimes() -> None:
    with env(DUBAN_SESSION_KEY=SESSION_KEY, DUBAN_SESSION_IDLE_MINUTES="30"):
        now = time.time()
        claims = cookies.Claims(
            sid="s", no=1, account=1, name="n", role="leader", gov=GOV_A, unit=None,
            leader="王明", iat=int(now), seen=int(now), exp=int(now + 8 * 3600),
        )  # fmt: skip
        cookie = cookies.sign(claims)
        assert cookies.read(cookie, now + 29 * 60) == claims
        assert cookies.read(cookie, now + 31 * 60) is None, "idle for too long"
        renewed = cookies.refreshed(claims, now + 29 * 60)
        assert renewed is not None and cookies.read(cookies.sign(renewed), now + 50 * 60)
        late = cookies.Claims(**{**claims.__dict__, "seen": int(now + 8 * 3600 - 10)})
        assert cookies.read(cookies.sign(late), now + 8 * 3600 + 1) is None, "past its end"


# --- the same scoping as a token, in every service -----------------------------------------


def test_a_supervisors_session_sees_its_government_in_every_service(w: World) -> None:
    browser, _ = logged_in(w)
    for url in ("/intake/documents", "/notify/notices", "/reporting/overview", "/tasks/tasks"):
        assert browser.get(url).status_code == 200, url
    other = {"government": GOV_B}
    for url in ("/notify/notices", "/reporting/overview"):
        assert browser.get(url, params=other).status_code == 403, url
    tasks = browser.get("/tasks/tasks").json()
    assert tasks and {t["government_id"] for t in tasks} == {GOV_A}


def test_a_leaders_session_only_reads_like_a_leaders_token(w: World) -> None:
    browser, _ = logged_in(w, "leader", leader="王明")
    assert browser.get("/intake/documents").status_code == 403, "intake refuses leaders"
    assert browser.get("/reporting/overview").status_code == 200
    tasks = browser.get("/tasks/tasks").json()
    assert [t["id"] for t in tasks] == [w.task1], "only his tasks"
    urge = browser.post(
        f"/tasks/tasks/{w.task1}/urge", json={"message": "快"}, headers=browser.csrf
    )
    assert urge.status_code == 403


def test_a_units_session_acts_for_its_unit(w: World) -> None:
    browser, _ = logged_in(w, "unit", unit="县住建局")
    me = browser.get("/tasks/me").json()
    assert me["unit"] == "县住建局" and me["role"] == "unit"
    url = f"/tasks/tasks/{w.task1}/acknowledge"
    assert browser.post(url, json={"unit": "县住建局"}, headers=browser.csrf).status_code == 200
    other = browser.post(url, json={"unit": "县财政局"}, headers=browser.csrf)
    assert other.status_code == 403


def test_the_audit_log_names_the_person(w: World) -> None:
    browser, login = logged_in(w)
    url = "/tasks/directory/units/县城管局?government=default"
    assert browser.client.put(url, json={}, headers=browser.csrf).status_code == 200
    from services.tasks.audit import AuditEntry

    with w.sessions() as session:
        actions = session.execute(
            select(AuditEntry.action, AuditEntry.actor).where(
                AuditEntry.actor == f"张三（{login}）"
            )
        ).all()
    assert {"account.login", "directory.unit"} <= {a for a, _ in actions}


# --- managing accounts ---------------------------------------------------------------------


def test_a_supervisor_manages_only_unit_and_leader_accounts_of_its_government(w: World) -> None:
    browser, _ = logged_in(w)
    leader = {"login": "leader-li", "display_name": "李华", "role": "leader", "leader": "李华"}
    made = browser.post("/tasks/accounts", json=leader, headers=browser.csrf)
    assert made.status_code == 201 and made.json()["government_id"] == GOV_A
    sup = {**leader, "login": "sup-x", "role": "supervisor"}
    assert browser.post("/tasks/accounts", json=sup, headers=browser.csrf).status_code == 403
    for_b = {**leader, "login": "leader-b", "government_id": GOV_B}
    assert browser.post("/tasks/accounts", json=for_b, headers=browser.csrf).status_code == 403
    listed = browser.get("/tasks/accounts").json()
    assert {a["government_id"] for a in listed} == {GOV_A}
    b_sup = w.admin(
        "POST",
        "/tasks/accounts",
        json={"login": "sup-b", "display_name": "乙", "role": "supervisor", "government_id": GOV_B},
    )
    reset = browser.post(f"/tasks/accounts/{b_sup['id']}/password", json={}, headers=browser.csrf)
    assert reset.status_code == 404, "another government's account is not found"
    taken = w.client.post(
        "/tasks/accounts", json={**leader, "government_id": GOV_A}, headers=bearer_admin(w)
    )
    assert taken.status_code == 409


def bearer_admin(w: World) -> dict[str, str]:
    return w.headers("admin")


# --- the login form ------------------------------------------------------------------------


def _form_token(browser: Browser) -> str:
    page = browser.get("/tasks/login")
    assert page.status_code == 200 and "登录" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    return browser.client.cookies.get(cookies.CSRF_COOKIE)


def test_the_form_login_needs_its_csrf_token_and_goes_only_to_a_local_page(w: World) -> None:
    login = account(w)
    browser = Browser(w)
    token = _form_token(browser)
    form = {"login": login, "password": GOOD, "next": "/reporting/overview"}
    refused = browser.post("/tasks/login", data=form, follow_redirects=False)
    assert refused.status_code == 403, "no token in the form"
    forged = Browser(w).post("/tasks/login", data={**form, "csrf_token": token})
    assert forged.status_code == 403, "the token without its cookie"
    token = browser.client.cookies.get(cookies.CSRF_COOKIE)  # the refusal's new form
    done = browser.post("/tasks/login", data={**form, "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/reporting/overview"
    assert browser.get("/reporting/overview").status_code == 200
    page = browser.get("/tasks/login")
    assert "您已登录" in page.text
    for elsewhere in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        other = Browser(w)
        sent = {**form, "next": elsewhere, "csrf_token": _form_token(other)}
        went = other.post("/tasks/login", data=sent, follow_redirects=False)
        assert went.status_code == 303 and went.headers["location"] == "/tasks/login"


def test_a_failed_form_login_shows_the_generic_message(w: World) -> None:
    browser = Browser(w)
    token = _form_token(browser)
    form = {"login": "nobody", "password": "Wrong#Pass-1", "csrf_token": token}
    page = browser.post("/tasks/login", data=form)
    assert page.status_code == 401 and FAILED in page.text
    assert "Wrong#Pass-1" not in page.text


def test_logins_and_failures_are_audited_without_passwords(w: World) -> None:
    login = account(w)
    Browser(w).login(login, "Wrong#Pass-77")
    Browser(w).login(login, GOOD)
    from services.tasks.audit import AuditEntry

    with w.sessions() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "account").order_by(AuditEntry.id)
        ).all()
    mine = [r for r in rows if r.actor == f"张三（{login}）"]
    assert {"account.login_failed", "account.login"} <= {r.action for r in mine}
    everything = " ".join(f"{r.before} {r.after}" for r in rows)
    assert "Wrong#Pass" not in everything and GOOD not in everything
