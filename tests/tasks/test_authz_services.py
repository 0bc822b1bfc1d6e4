"""Issue 10, first slice: who may do what in intake, notify and reporting, for every endpoint
(the tasks service's own table is test_authz_matrix.py; the two together cover all four).

Each service verifies the caller by itself, against its copy of the tokens kept from the
tasks service's token events; the roles mean the same everywhere:

* no token, an unknown token or a revoked one → 401, on every endpoint;
* intake: the bureau (the admin, a supervisor of the document's government) takes in, reads,
  corrects and publishes notices; another government's document is not found (404); an OA
  system pushes (its signed webhook a second factor); units and leaders are refused (403);
* notify: the bureau sees its government's messages; a unit (or its OA system) those sent to
  it; a leader those sent to him or her;
* reporting: supervisors and leaders see their government's figures; a unit its own tasks';
* lists and figures are scoped rather than refused: naming another government is 403.

A new endpoint without rows fails ``test_every_endpoint_is_in_the_table``.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import wait_until
from sqlalchemy import func, select
from tasks_world import GOV_A, GOV_B, NOTICE_A, NOTICE_B, World, bearer, service_routes, world

from services.intake.settings import intake_settings
from services.intake.signing import sign
from shared.identity.credentials import CREDENTIAL

Call = tuple[str, dict[str, Any]]  # url, keyword arguments for client.request
SERVICES = ("intake", "notify", "reporting")
SECRET = "authz-oa-secret"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "qingchuan-2026-notice.txt"
SUP_A, SUP_B, ZHUJIAN, JIAOTI, LEADER, OA, B_ZHUJIAN = (
    "supervisor-A",
    "supervisor-B",
    "unit-zhujian",
    "unit-jiaoti",
    "leader-wangming",
    "oa-caizheng",
    "unit-B-zhujian",
)
NON_BUREAU = (ZHUJIAN, JIAOTI, LEADER, OA)

# --- how to call each endpoint -------------------------------------------------------------


def _unique_notice() -> bytes:
    """Notice text no upload has sent yet: the same bytes would be the same document."""
    return EXAMPLE.read_bytes() + f"\n{uuid.uuid4()}\n".encode()


def _gov(args: dict[str, Any]) -> dict[str, str]:
    return {"government": args["gov"]} if "gov" in args else {}


def _draft(w: World) -> str:
    """A fresh draft of government A, for a call that changes it."""
    return w.admin("POST", "/intake/documents", json=NOTICE_A)["id"]


def _documents(w: World, args: dict[str, Any]) -> Call:
    return "/intake/documents", {"params": _gov(args)}


def _create(w: World, args: dict[str, Any]) -> Call:
    notice = NOTICE_B if args.get("gov") == GOV_B else NOTICE_A
    return "/intake/documents", {"json": notice}


def _upload(w: World, args: dict[str, Any]) -> Call:
    files = {"file": ("通知.txt", _unique_notice())}
    return "/intake/documents/upload", {"files": files, "params": _gov(args)}


def _text(w: World, args: dict[str, Any]) -> Call:
    body = {"text": _unique_notice().decode()}
    return "/intake/documents/text", {"json": body, "params": _gov(args)}


def _document(w: World, args: dict[str, Any]) -> Call:
    return f"/intake/documents/{w.intake_doc_b if args.get('own') else w.doc_a}", {}


def _edit(w: World, args: dict[str, Any]) -> Call:
    return f"/intake/documents/{_draft(w)}/tasks/1", {"json": {"text": "改正后的任务内容。"}}


def _publish(w: World, args: dict[str, Any]) -> Call:
    return f"/intake/documents/{_draft(w)}/publish", {}


def _discard(w: World, args: dict[str, Any]) -> Call:
    return f"/intake/documents/{_draft(w)}", {}


def _oa_push(w: World, args: dict[str, Any]) -> Call:
    body, stamp = _unique_notice(), str(int(time.time()))
    government = args.get("gov", "")
    signature = sign(SECRET, stamp, body, government=government)
    headers = {"X-Duban-Timestamp": stamp, "X-Duban-Signature": signature}
    if "gov" in args:
        headers["X-Duban-Government"] = args["gov"]
    return "/intake/oa/documents", {"content": body, "headers": headers}


def _notices(w: World, args: dict[str, Any]) -> Call:
    return "/notify/notices", {"params": _gov(args)}


CONTACT = {
    "owner": "县住建局",
    "post": "办公室主任",
    "name": "李四",
    "wecom_userid": "lisi",
    "mobile": "13912345678",
}


def _contacts(w: World, args: dict[str, Any]) -> Call:
    return "/notify/contacts", {"params": _gov(args)}


def _contact_create(w: World, args: dict[str, Any]) -> Call:
    return "/notify/contacts", {"json": CONTACT, "params": _gov(args)}


def _a_contact(w: World) -> int:
    """A contact of government A, for a call that changes it."""
    made = w.admin("POST", "/notify/contacts", json=CONTACT, params={"government": GOV_A})
    return made["id"]


def _contact_change(w: World, args: dict[str, Any]) -> Call:
    return f"/notify/contacts/{_a_contact(w)}", {"json": CONTACT, "params": _gov(args)}


def _contact_delete(w: World, args: dict[str, Any]) -> Call:
    return f"/notify/contacts/{_a_contact(w)}", {"params": _gov(args)}


def _contact_import(w: World, args: dict[str, Any]) -> Call:
    csv = "单位,岗位,姓名,手机号\n县住建局,联络员,王五,13800001111\n"
    return "/notify/contacts/import", {"content": csv.encode(), "params": _gov(args)}


def _planned(w: World) -> None:
    """notify's sender (a job every 2 s) has planned the deliveries of both governments: no
    channel is enabled and no contact was registered when they were owed, so each is a
    skipped delivery, reported."""

    def both() -> bool:
        rows = w.admin("GET", "/notify/deliveries", params={"status": "skipped"})
        return {r["government_id"] for r in rows} == {GOV_A, GOV_B}

    wait_until(both, 30, "notify's planned deliveries")


def _deliveries(w: World, args: dict[str, Any]) -> Call:
    _planned(w)
    return "/notify/deliveries", {"params": _gov(args)}


def _delivery_retry(w: World, args: dict[str, Any]) -> Call:
    """The resend of one of government A's deliveries that were skipped (no contact)."""
    _planned(w)
    rows = w.admin("GET", "/notify/deliveries", params={"government": GOV_A, "status": "skipped"})
    return f"/notify/deliveries/{rows[0]['id']}/retry", {"params": _gov(args)}


def _templates(w: World, args: dict[str, Any]) -> Call:
    return "/notify/templates", {"params": _gov(args)}


def _template_put(w: World, args: dict[str, Any]) -> Call:
    body = {"title": "督办提醒", "body": "{notice}\n报送进展：{link}"}
    return "/notify/templates/before_due", {"json": body, "params": _gov(args)}


def _overview(w: World, args: dict[str, Any]) -> Call:
    return "/reporting/overview", {"params": _gov(args)}


def _reporting(path: str, **params: Any) -> Callable[[World, dict[str, Any]], Call]:
    def call(w: World, args: dict[str, Any]) -> Call:
        return path.format(task=w.task1), {"params": {**params, **_gov(args)}}

    return call


def _rule_put(w: World, args: dict[str, Any]) -> Call:
    return "/reporting/ranking/rule", {"json": {"behind": 40}, "params": _gov(args)}


REPORTING_READS = {
    "/reporting/units": _reporting("/reporting/units"),
    "/reporting/units/{unit}": _reporting("/reporting/units/县住建局"),
    "/reporting/ranking/rule": _reporting("/reporting/ranking/rule"),
    "/reporting/schedule": _reporting("/reporting/schedule"),
    "/reporting/leaders": _reporting("/reporting/leaders"),
    "/reporting/sections": _reporting("/reporting/sections"),
    "/reporting/rounds": _reporting("/reporting/rounds"),
    "/reporting/overdue": _reporting("/reporting/overdue"),
    "/reporting/missing": _reporting("/reporting/missing"),
    "/reporting/indicators": _reporting("/reporting/indicators"),
    "/reporting/ledger.xlsx": _reporting("/reporting/ledger.xlsx"),
}
# the dashboard's pages (text/html): scoped like their JSON twins
REPORTING_PAGES = {
    "/reporting/dashboard": _reporting("/reporting/dashboard"),
    "/reporting/dashboard/units/{unit}": _reporting("/reporting/dashboard/units/县住建局"),
    "/reporting/dashboard/tasks/{task_id}": _reporting("/reporting/dashboard/tasks/{task}"),
}
INTAKE_PAGES = {
    "/reporting/dashboard/intake": _reporting("/reporting/dashboard/intake"),
    "/reporting/dashboard/intake/{document_id}": lambda w, args: (
        f"/reporting/dashboard/intake/{uuid.uuid4()}",
        {},
    ),
}
REPORTING_BUREAU = {
    ("GET", "/reporting/circular.docx"): _reporting("/reporting/circular.docx", period="2022-Q3"),
    ("GET", "/reporting/tasks/{task_id}/order.docx"): _reporting(
        "/reporting/tasks/{task}/order.docx", unit="县住建局"
    ),
    ("PUT", "/reporting/ranking/rule"): _rule_put,
    ("POST", "/reporting/digests"): _reporting("/reporting/digests"),
}


ENDPOINTS: dict[tuple[str, str], Callable[[World, dict[str, Any]], Call]] = {
    ("GET", "/intake/documents"): _documents,
    ("POST", "/intake/documents"): _create,
    ("POST", "/intake/documents/upload"): _upload,
    ("POST", "/intake/documents/text"): _text,
    ("GET", "/intake/documents/{document_id}"): _document,
    ("PATCH", "/intake/documents/{document_id}/tasks/{position}"): _edit,
    ("POST", "/intake/documents/{document_id}/publish"): _publish,
    ("DELETE", "/intake/documents/{document_id}"): _discard,
    ("POST", "/intake/oa/documents"): _oa_push,
    ("GET", "/notify/notices"): _notices,
    ("GET", "/notify/contacts"): _contacts,
    ("POST", "/notify/contacts"): _contact_create,
    ("PUT", "/notify/contacts/{contact_id}"): _contact_change,
    ("DELETE", "/notify/contacts/{contact_id}"): _contact_delete,
    ("POST", "/notify/contacts/import"): _contact_import,
    ("GET", "/notify/deliveries"): _deliveries,
    ("POST", "/notify/deliveries/{delivery_id}/retry"): _delivery_retry,
    ("GET", "/notify/templates"): _templates,
    ("PUT", "/notify/templates/{kind}"): _template_put,
    ("GET", "/reporting/overview"): _overview,
    ("GET", "/reporting/tasks/{task_id}"): _reporting("/reporting/tasks/{task}"),
    **{("GET", path): call for path, call in REPORTING_READS.items()},
    **REPORTING_BUREAU,
    **{("GET", path): call for path, call in {**REPORTING_PAGES, **INTAKE_PAGES}.items()},
}

# --- what each caller must get ---------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    endpoint: tuple[str, str]
    caller: str
    expect: int
    args: dict[str, Any] = field(default_factory=dict)
    sees: Callable[[Any], bool] | None = None  # for scoped lists and created documents
    note: str = ""

    @property
    def id(self) -> str:
        method, path = self.endpoint
        note = f" {self.note}" if self.note else ""
        return f"{method} {path} | {self.caller}{note} -> {self.expect}"


def governments(*govs: str) -> Callable[[Any], bool]:
    return lambda body: {row["government_id"] for row in body} == set(govs)


def in_government(gov: str) -> Callable[[Any], bool]:
    return lambda body: body["government_id"] == gov


def addressed_to(gov: str, kind: str, name: str) -> Callable[[Any], bool]:
    """Only messages of that government sent to that recipient (and some: ``kind`` unit)."""
    wanted = {(gov, kind, name)}
    return lambda body: (
        {(n["government_id"], n["recipient_kind"], n["unit"]) for n in body} <= (wanted)
        and (kind == "leader" or len(body) > 0)
    )


def owners(gov: str, kind: str, name: str) -> Callable[[Any], bool]:
    """Only rows of that government addressed to that owner (contacts, deliveries)."""
    return lambda body: (
        {(r["government_id"], r["owner_kind"], r["owner"]) for r in body} <= {(gov, kind, name)}
    )


def masked(body: Any) -> bool:
    return all(r["mobile"] is None or "****" in r["mobile"] for r in body)


def notify_change_rows(endpoint: tuple[str, str], ok: int) -> list[Row]:
    """A change to government A's notify data: its bureau (the admin naming A) only."""
    return [
        Row(endpoint, "admin", ok, {"gov": GOV_A}),
        Row(endpoint, SUP_A, ok),
        Row(endpoint, SUP_A, 403, {"gov": GOV_B}, note="naming B"),
        *(Row(endpoint, c, 403) for c in NON_BUREAU),
    ]


def tasks_counted(count: int) -> Callable[[Any], bool]:
    return lambda body: body["task_count"] == count


def bureau_rows(endpoint: tuple[str, str], ok: int, other_gov: int = 404) -> list[Row]:
    """A change to one of government A's documents: the bureau of A only."""
    return [
        Row(endpoint, "admin", ok),
        Row(endpoint, SUP_A, ok),
        Row(endpoint, SUP_B, other_gov, note="on A's document"),
        *(Row(endpoint, c, 403) for c in NON_BUREAU),
    ]


def take_in_rows(endpoint: tuple[str, str]) -> list[Row]:
    """A notice taken in: into the caller's government; naming another is refused."""
    return [
        Row(endpoint, "admin", 201, sees=in_government(GOV_A)),
        Row(endpoint, SUP_A, 201, sees=in_government(GOV_A)),
        Row(endpoint, SUP_A, 403, {"gov": GOV_B}, note="into B"),
        Row(endpoint, SUP_B, 201, sees=in_government(GOV_B), note="into its own"),
        *(Row(endpoint, c, 403) for c in NON_BUREAU),
    ]


DOCUMENTS = ("GET", "/intake/documents")
CREATE = ("POST", "/intake/documents")
DOCUMENT = ("GET", "/intake/documents/{document_id}")
OA_PUSH = ("POST", "/intake/oa/documents")
NOTICES = ("GET", "/notify/notices")
OVERVIEW = ("GET", "/reporting/overview")
CONTACTS = ("GET", "/notify/contacts")
DELIVERIES = ("GET", "/notify/deliveries")
CONTACT_ONE = ("PUT", "/notify/contacts/{contact_id}")


def reporting_read_rows(path: str) -> list[Row]:
    """A view of the government's figures: anyone of it; naming another is 403."""
    endpoint = ("GET", path)
    return [
        Row(endpoint, "admin", 200),
        Row(endpoint, SUP_A, 200),
        Row(endpoint, SUP_A, 403, {"gov": GOV_B}, note="naming B"),
        Row(endpoint, LEADER, 200),
        Row(endpoint, ZHUJIAN, 200),
        Row(endpoint, ZHUJIAN, 403, {"gov": GOV_B}, note="naming B"),
        Row(endpoint, OA, 200),
    ]


REPORTING_ROWS: list[Row] = [
    *(
        row
        for path in REPORTING_READS
        if path != "/reporting/units/{unit}"
        for row in reporting_read_rows(path)
    ),
    Row(("GET", "/reporting/units/{unit}"), SUP_A, 200),
    Row(("GET", "/reporting/units/{unit}"), ZHUJIAN, 200, note="its own"),
    Row(("GET", "/reporting/units/{unit}"), JIAOTI, 403, note="another unit"),
    Row(("GET", "/reporting/tasks/{task_id}"), SUP_A, 200),
    Row(("GET", "/reporting/tasks/{task_id}"), LEADER, 200),
    Row(("GET", "/reporting/tasks/{task_id}"), ZHUJIAN, 200, note="its task"),
    Row(("GET", "/reporting/tasks/{task_id}"), JIAOTI, 404, note="not its task"),
    Row(("GET", "/reporting/tasks/{task_id}"), SUP_B, 404, note="A's task"),
    *(
        row
        for endpoint in REPORTING_BUREAU
        for row in (
            Row(endpoint, SUP_A, 200),
            Row(endpoint, SUP_A, 403, {"gov": GOV_B}, note="naming B")
            if endpoint[1] != "/reporting/tasks/{task_id}/order.docx"
            else Row(endpoint, SUP_B, 404, note="A's task"),
            Row(endpoint, ZHUJIAN, 403),
            Row(endpoint, OA, 403),
        )
    ),
    Row(("GET", "/reporting/circular.docx"), LEADER, 200),
    # the dashboard's pages
    *reporting_read_rows("/reporting/dashboard"),
    Row(("GET", "/reporting/dashboard/units/{unit}"), SUP_A, 200),
    Row(("GET", "/reporting/dashboard/units/{unit}"), LEADER, 200),
    Row(("GET", "/reporting/dashboard/units/{unit}"), ZHUJIAN, 200, note="its own"),
    Row(("GET", "/reporting/dashboard/units/{unit}"), JIAOTI, 403, note="another unit"),
    Row(("GET", "/reporting/dashboard/tasks/{task_id}"), SUP_A, 200),
    Row(("GET", "/reporting/dashboard/tasks/{task_id}"), ZHUJIAN, 200, note="its task"),
    Row(("GET", "/reporting/dashboard/tasks/{task_id}"), JIAOTI, 404, note="not its task"),
    Row(("GET", "/reporting/dashboard/tasks/{task_id}"), SUP_B, 404, note="A's task"),
    *(
        row
        for path in INTAKE_PAGES
        for row in (
            Row(("GET", path), "admin", 200),
            Row(("GET", path), SUP_A, 200),
            *(Row(("GET", path), c, 403) for c in NON_BUREAU),
        )
    ),
]

MATRIX: list[Row] = [
    # first, while the world holds its three tasks (the intake rows below publish more)
    # notify: the bureau sees its government's messages, anyone else those sent to it
    Row(NOTICES, "admin", 200, sees=governments(GOV_A, GOV_B)),
    Row(NOTICES, "admin", 200, {"gov": GOV_B}, governments(GOV_B), "naming B"),
    Row(NOTICES, SUP_A, 200, sees=governments(GOV_A)),
    Row(NOTICES, SUP_B, 200, sees=governments(GOV_B)),
    Row(NOTICES, SUP_B, 403, {"gov": GOV_A}, note="naming A"),
    Row(NOTICES, ZHUJIAN, 200, sees=addressed_to(GOV_A, "unit", "县住建局")),
    Row(NOTICES, ZHUJIAN, 403, {"gov": GOV_B}, note="naming B"),
    Row(NOTICES, JIAOTI, 200, sees=addressed_to(GOV_A, "unit", "县教体局")),
    Row(NOTICES, OA, 200, sees=addressed_to(GOV_A, "unit", "县财政局")),
    Row(NOTICES, LEADER, 200, sees=addressed_to(GOV_A, "leader", "王明")),
    Row(NOTICES, B_ZHUJIAN, 200, sees=addressed_to(GOV_B, "unit", "县住建局"), note="B's"),
    # notify's contacts, deliveries and templates: the bureau keeps them; a unit, a leader,
    # an OA system see what is addressed to them (numbers masked)
    *notify_change_rows(("POST", "/notify/contacts"), 201),
    *notify_change_rows(CONTACT_ONE, 200),
    Row(CONTACT_ONE, SUP_B, 404, note="A's contact"),
    *notify_change_rows(("DELETE", "/notify/contacts/{contact_id}"), 204),
    *notify_change_rows(("POST", "/notify/contacts/import"), 200),
    Row(CONTACTS, "admin", 200),
    Row(CONTACTS, SUP_A, 200, sees=governments(GOV_A)),
    Row(CONTACTS, SUP_B, 200, sees=lambda body: body == []),
    Row(CONTACTS, SUP_B, 403, {"gov": GOV_A}, note="naming A"),
    Row(CONTACTS, ZHUJIAN, 200, sees=lambda b: owners(GOV_A, "unit", "县住建局")(b) and masked(b)),
    Row(CONTACTS, LEADER, 200, sees=owners(GOV_A, "leader", "王明")),
    Row(CONTACTS, OA, 200, sees=owners(GOV_A, "unit", "县财政局")),
    Row(CONTACTS, B_ZHUJIAN, 200, sees=lambda body: body == [], note="B's"),
    Row(DELIVERIES, "admin", 200, sees=governments(GOV_A, GOV_B)),
    Row(DELIVERIES, SUP_A, 200, sees=governments(GOV_A)),
    Row(DELIVERIES, SUP_B, 200, sees=governments(GOV_B)),
    Row(DELIVERIES, SUP_B, 403, {"gov": GOV_A}, note="naming A"),
    Row(DELIVERIES, ZHUJIAN, 200, sees=owners(GOV_A, "unit", "县住建局")),
    Row(DELIVERIES, JIAOTI, 200, sees=owners(GOV_A, "unit", "县教体局")),
    Row(DELIVERIES, LEADER, 200, sees=owners(GOV_A, "leader", "王明")),
    Row(DELIVERIES, OA, 200, sees=owners(GOV_A, "unit", "县财政局")),
    *notify_change_rows(("POST", "/notify/deliveries/{delivery_id}/retry"), 200),
    Row(("POST", "/notify/deliveries/{delivery_id}/retry"), SUP_B, 404, note="A's"),
    *notify_change_rows(("GET", "/notify/templates"), 200),
    *notify_change_rows(("PUT", "/notify/templates/{kind}"), 200),
    # reporting: a government's figures; a unit's, of its own tasks
    Row(OVERVIEW, "admin", 200, sees=tasks_counted(3)),
    Row(OVERVIEW, "admin", 200, {"gov": GOV_A}, tasks_counted(2), "naming A"),
    Row(OVERVIEW, SUP_A, 200, sees=tasks_counted(2)),
    Row(OVERVIEW, SUP_B, 200, sees=tasks_counted(1)),
    Row(OVERVIEW, SUP_B, 403, {"gov": GOV_A}, note="naming A"),
    Row(OVERVIEW, LEADER, 200, sees=tasks_counted(2)),
    Row(OVERVIEW, ZHUJIAN, 200, sees=tasks_counted(1)),
    Row(OVERVIEW, ZHUJIAN, 403, {"gov": GOV_B}, note="naming B"),
    Row(OVERVIEW, JIAOTI, 200, sees=tasks_counted(1)),
    Row(OVERVIEW, OA, 200, sees=tasks_counted(1)),
    Row(OVERVIEW, B_ZHUJIAN, 200, sees=tasks_counted(1), note="B's namesake unit"),
    *REPORTING_ROWS,
    # intake: the bureau's documents, scoped to its government
    Row(DOCUMENTS, "admin", 200, sees=governments(GOV_A, GOV_B)),
    Row(DOCUMENTS, "admin", 200, {"gov": GOV_B}, governments(GOV_B), "naming B"),
    Row(DOCUMENTS, SUP_A, 200, sees=governments(GOV_A)),
    Row(DOCUMENTS, SUP_B, 200, sees=governments(GOV_B)),
    Row(DOCUMENTS, SUP_B, 403, {"gov": GOV_A}, note="naming A"),
    *(Row(DOCUMENTS, c, 403) for c in NON_BUREAU),
    Row(CREATE, "admin", 201),
    Row(CREATE, SUP_A, 201),
    Row(CREATE, SUP_A, 403, {"gov": GOV_B}, note="for B"),
    Row(CREATE, SUP_B, 403, note="for A"),
    Row(CREATE, SUP_B, 201, {"gov": GOV_B}, note="its own"),
    *(Row(CREATE, c, 403) for c in NON_BUREAU),
    *take_in_rows(("POST", "/intake/documents/upload")),
    *take_in_rows(("POST", "/intake/documents/text")),
    *bureau_rows(DOCUMENT, 200),
    Row(DOCUMENT, SUP_B, 200, {"own": True}, note="its own"),
    *bureau_rows(("PATCH", "/intake/documents/{document_id}/tasks/{position}"), 200),
    *bureau_rows(("POST", "/intake/documents/{document_id}/publish"), 200),
    *bureau_rows(("DELETE", "/intake/documents/{document_id}"), 200),
    # the OA push: an integration token, and the signature
    Row(OA_PUSH, OA, 201, sees=in_government(GOV_A)),
    Row(OA_PUSH, OA, 403, {"gov": GOV_B}, note="into B"),
    Row(OA_PUSH, "admin", 201, {"gov": GOV_B}, in_government(GOV_B), "into B"),
    *(Row(OA_PUSH, c, 403) for c in (SUP_A, SUP_B, ZHUJIAN, LEADER)),
]

UNAUTHENTICATED = {
    "no token": {},
    "garbage token": bearer("dbn_not-a-token-we-issued"),
    "not a bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
    "revoked token": None,  # filled in from the world
}


def _copies_complete(w: World) -> bool:
    """Every service holds every token issued, and the revocation."""
    issued = len(w.token_ids)
    for name in SERVICES:
        with w.runtime.services[name].sessions() as session:
            rows = session.scalar(select(func.count()).select_from(CREDENTIAL))
            revoked = session.scalar(
                select(func.count())
                .select_from(CREDENTIAL)
                .where(CREDENTIAL.c.revoked_at.is_not(None))
            )
        if (rows, revoked) != (issued, 1):
            return False
    return True


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None) -> Iterator[World]:
    os.environ["DUBAN_INTAKE_OA_WEBHOOK_SECRET"] = SECRET
    intake_settings.cache_clear()
    try:
        data_dir = tmp_path_factory.mktemp("authz-services")
        with world(data_dir, "authzsvc", module_database_url, services=(*SERVICES, "tasks")) as w:
            w.issue(B_ZHUJIAN, role="unit", government_id=GOV_B, unit="县住建局")
            wait_until(lambda: _copies_complete(w), 30, "every service's copy of the tokens")
            created = w.client.post("/intake/documents", json=NOTICE_B, headers=w.headers(SUP_B))
            assert created.status_code == 201, created.text
            w.intake_doc_b = created.json()["id"]
            wait_until(
                lambda: w.admin("GET", "/reporting/overview")["task_count"] == 3, 30, "reporting"
            )
            yield w
    finally:
        del os.environ["DUBAN_INTAKE_OA_WEBHOOK_SECRET"]
        intake_settings.cache_clear()


def test_every_endpoint_is_in_the_table(w: World) -> None:
    served = set().union(*(service_routes(w.client.app, service=s) for s in SERVICES))
    assert served - set(ENDPOINTS) == set(), "endpoints without rows in the matrix"
    assert set(ENDPOINTS) - served == set(), "rows for endpoints that no longer exist"
    assert {row.endpoint for row in MATRIX} == set(ENDPOINTS)
    for endpoint in ENDPOINTS:
        codes = {row.expect for row in MATRIX if row.endpoint == endpoint}
        assert any(200 <= c < 300 for c in codes), f"{endpoint}: nobody may call it?"
        assert codes & {403, 404}, f"{endpoint}: no refused caller in the table"


def _send(w: World, endpoint: tuple[str, str], headers: dict[str, str], args: dict[str, Any]):
    url, kwargs = ENDPOINTS[endpoint](w, args)
    headers = {**headers, **kwargs.pop("headers", {})}
    return w.client.request(endpoint[0], url, headers=headers, **kwargs)


@pytest.mark.parametrize("row", MATRIX, ids=[row.id for row in MATRIX])
def test_matrix(w: World, row: Row) -> None:
    response = _send(w, row.endpoint, w.headers(row.caller), row.args)
    assert response.status_code == row.expect, response.text
    if row.expect in (401, 403, 404):
        assert response.json()["detail"], "a refusal says why"
    if row.sees is not None:
        assert row.sees(response.json()), response.text


@pytest.mark.parametrize("how", sorted(UNAUTHENTICATED))
@pytest.mark.parametrize(
    "endpoint", sorted(ENDPOINTS), ids=[" ".join(e) for e in sorted(ENDPOINTS)]
)
def test_unauthenticated(w: World, endpoint: tuple[str, str], how: str) -> None:
    headers = UNAUTHENTICATED[how]
    response = _send(w, endpoint, w.headers("revoked") if headers is None else headers, {})
    assert response.status_code == 401, response.text
    assert response.headers.get("www-authenticate") == "Bearer"


@pytest.mark.parametrize("service", [*SERVICES, "tasks"])
def test_only_health_and_readiness_are_open(w: World, service: str) -> None:
    for path in ("healthz", "readyz"):
        assert w.client.get(f"/{service}/{path}").status_code == 200
    assert w.client.get(f"/{service}/metrics").status_code in (401, 403), "operators' only"
    schemes = w.client.get(f"/{service}/openapi.json").json()["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer", "so that /docs can send a token"
