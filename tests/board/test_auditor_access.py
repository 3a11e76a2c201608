"""The auditor (Kassenprüfer) walks every registered route of the demo association: every
financial page and document answers 200, every other page 403, and every POST, PUT, PATCH or
DELETE outside their own account and the audit checklist is refused with 403 and changes
nothing in the database (every table's rows, compared before and after). No page the auditor
reads shows a form or button that would post where the auditor is refused."""
from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.core import clock
from backoffice.core.permissions import (
    PUBLIC_ENDPOINTS,
    READ_ONLY_MAY,
    Permission,
    Role,
    policy_for,
)
from backoffice.demo.seed import DEMO_PASSWORD, DEMO_USERS
from backoffice.extensions import db

from ..helpers import csrf_token

AUDITOR = next(email for email, _, roles in DEMO_USERS if roles == [Role.AUDITOR])
LINK = re.compile(r'href="(/[^"#]*)"')
VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
#: Where the crawl starts (the menu an auditor sees, and the lists behind it).
STARTS = ["/", "/ledger/journal", "/ledger/accounts", "/funds", "/invoices", "/sponsors",
          "/packages", "/expenses/", "/expenses/payouts", "/grants/queue", "/grants/programmes",
          "/grants/payouts", "/donations", "/donations/donors", "/donations/plans",
          "/donations/receipts?year=2026", "/donations/receipts?year=2025", "/bank/",
          "/bank/write-offs", "/reports", "/audit", "/payments/events", "/groups",
          "/ledger/periods", "/reports/annual"]
FOLLOW = 4
#: Pages the demo links to from nowhere an auditor reads, with a real value.
GIVEN = {"ledger.account_search": "/ledger/accounts/search?q=10"}
#: Read pages of rows the demo does not have (no gifts, no attachments or award letters, no
#: annual pack, no audit report yet): asked for a row that does not exist, they answer 404 from the
#: view, past the access check. The test fails once the demo links to one: the list shrinks.
NO_DEMO_ROWS = {"grants.internal_letter", "grants.internal_file", "reports.pack_file",
                "receipts.receipt", "receipts.pdf", "donations.donation", "donations.donor",
                "board_audit.report_pdf"}
#: What an auditor must be able to read, whatever else changes.
MUST_READ = {"ledger.journal", "ledger.entry", "ledger.accounts", "ledger.account",
             "funds.index", "invoicing.invoices", "invoicing.invoice", "invoicing.pdf",
             "expenses.claim", "expenses.receipt", "payouts.batches", "payouts.batch",
             "payouts.batch_xml", "grants.application", "donations.index", "receipts.pdf",
             "banking.account", "banking.line", "banking.reconcile", "banking.review",
             "reports.balance_sheet", "report_exports.datev_page", "core.audit_log",
             "board_audit.index", "board_audit.show"}
#: Pages that are not the books: refused.
MUST_NOT_READ = {"auth.users", "setup.settings_page", "jobs.outbox_page", "core.privacy_page",
                 "board.dashboard", "board.meeting", "board.register", "groups.edit"}


def _log_in(client, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _crawl(client, adapter, starts=STARTS) -> tuple[dict[str, str], dict[str, object]]:
    """One real URL per endpoint reachable by links (following up to ``FOLLOW`` of each, as a
    draft invoice has no PDF and an issued one does), and the values its variables took."""
    found: dict[str, str] = {}
    followed: dict[str, int] = {}
    values: dict[str, object] = {}
    queue, visited = list(starts), set()
    while queue:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        endpoint, args = adapter.match(urlsplit(url).path, method="GET")
        found.setdefault(endpoint, url)
        for name, value in args.items():
            values.setdefault(name, value)
        with client.get(url) as response:
            html = response.get_data(as_text=True) \
                if response.status_code == 200 and response.content_type.startswith(
                    "text/html") else ""
        for link in LINK.findall(html):
            path = urlsplit(link.replace("&amp;", "&")).path
            try:
                endpoint, args = adapter.match(path, method="GET")
            except Exception:  # noqa: BLE001 (not a GET route of ours)
                continue
            for name, value in args.items():
                values.setdefault(name, value)
            if endpoint in PUBLIC_ENDPOINTS or followed.get(endpoint, 0) >= FOLLOW \
                    or path in visited:
                continue
            found.setdefault(endpoint, path)
            followed[endpoint] = followed.get(endpoint, 0) + 1
            queue.append(path)
    return found, values


def _url(rule, values: dict[str, object]) -> str:
    def fill(match):
        converter, name = match.group(1), match.group(2)
        if name in values:
            return str(values[name])
        if converter == "any":
            return re.search(r"\(([^,)]+)", match.group(0)).group(1).strip()
        return "1" if converter == "int" else "x"
    return VARIABLE.sub(fill, rule.rule)


def _checksum() -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows, in key order."""
    sums = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        sums[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    db.session.rollback()
    return sums


#: Rows a request writes for any logged-in user: the login session's last-seen time.
TOUCHED_BY_EVERY_REQUEST = {"user_sessions"}


@pytest.mark.demo_data
def test_the_auditor_reads_every_financial_page_and_changes_nothing(app):
    auditor = db.session.scalar(select(User).where(User.email == AUDITOR))
    assert auditor.roles == {Role.AUDITOR}
    client = app.test_client()
    _log_in(client, AUDITOR)
    adapter = app.url_map.bind("localhost")
    found, values = _crawl(client, adapter)
    found.update(GIVEN)
    app.config["WTF_CSRF_ENABLED"] = False  # reach the access check for every write

    before = _checksum()
    read, refused, writes = set(), set(), 0
    unlinked: list[str] = []
    now_linked: list[str] = []  # take these out of NO_DEMO_ROWS
    failed: list[tuple] = []
    for rule in app.url_map.iter_rules():
        policy = policy_for(rule.endpoint, app.view_functions)
        if policy is None or policy.public or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        if "GET" in rule.methods:
            if policy.permission is None and rule.endpoint in found:
                # a page for everybody logged in (claims, fund statements): scoped in the view
                response = client.get(found[rule.endpoint])
                if response.status_code != 200:
                    failed.append((found[rule.endpoint], 200, response.status_code))
                read.add(rule.endpoint)
            elif policy.permission is not None and policy.opens_for(auditor, "GET"):
                url = found.get(rule.endpoint)
                if rule.endpoint in NO_DEMO_ROWS:
                    response = client.get(_url(rule, {}).replace("/1", "/999999"))
                    expected = 404
                    now_linked += [rule.endpoint] if url else []
                elif url is None:
                    unlinked.append(rule.endpoint)
                    continue
                else:
                    response, expected = client.get(url), 200
                if response.status_code != expected:
                    failed.append((rule.rule, expected, response.status_code))
                read.add(rule.endpoint)
            elif policy.permission is not None:
                response = client.get(_url(rule, values))
                if response.status_code != 403:
                    failed.append((rule.rule, response.status_code))
                refused.add(rule.endpoint)
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            if policy.own_account or policy.permission in READ_ONLY_MAY:
                continue
            url = _url(rule, values)
            response = client.open(url, method=method, data={"reason": "audit", "amount": "1"})
            if response.status_code != 403:
                failed.append((method, url, response.status_code))
            writes += 1
    after = _checksum()
    assert unlinked == [], f"no page of the demo links to {unlinked}"
    assert failed == [], f"{failed}"
    assert now_linked == [], f"the demo has rows for {now_linked} now: take them out of NO_DEMO_ROWS"

    changed = sorted(name for name in before if before[name] != after[name]
                     and name not in TOUCHED_BY_EVERY_REQUEST)
    assert changed == []
    assert MUST_READ <= read, MUST_READ - read
    assert MUST_NOT_READ <= refused, MUST_NOT_READ - refused
    assert writes > 100
    # the auditor holds no permission that changes anything but the checklist
    assert not any(auditor.can(p) for p in Permission if p.value.endswith(
        (".manage", ".post", ".approve", ".decide", ".pay", ".reconcile", ".periods")))


def test_a_read_only_role_is_read_only_whatever_else_it_holds(app, users):
    """A treasurer who is also made auditor changes nothing either (deny by default)."""
    from backoffice.auth.models import UserRole
    from backoffice.core.db import transaction
    from backoffice.core.permissions import AccessPolicy

    treasurer = users[Role.TREASURER]
    writes = AccessPolicy(permission=Permission.LEDGER_POST)
    assert not writes.changes_refused(treasurer.roles, "POST")
    with transaction():
        db.session.add(UserRole(user_id=treasurer.id, role=Role.AUDITOR.value))
    db.session.refresh(treasurer)
    assert writes.changes_refused(treasurer.roles, "POST")
    assert not writes.changes_refused(treasurer.roles, "GET")
    assert not AccessPolicy(own_account=True).changes_refused(treasurer.roles, "POST")
    reading = AccessPolicy(permission=Permission.PAYOUTS_MANAGE, also=Permission.BOOKS_AUDIT)
    assert reading.opens_for(users[Role.AUDITOR], "GET")
    assert not reading.opens_for(users[Role.AUDITOR], "POST")
    assert not reading.opens_for(users[Role.BOARD], "GET")


#: The auditor's own pages besides the books (the checklist, whose forms the auditor may post).
ALSO = ["/audits/"]


class _Forms(HTMLParser):
    """The addresses a page posts to: each POST form's action (the page itself when it has none)
    and each ``formaction`` of a submit button."""

    def __init__(self, page: str):
        super().__init__()
        self.page, self.targets = page, []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "get").lower() == "post":
            self.targets.append(attributes.get("action") or self.page)
        elif tag in ("button", "input") and attributes.get("formaction"):
            self.targets.append(attributes["formaction"])


def _targets(client, page: str) -> list[str]:
    response = client.get(page)
    assert response.status_code == 200, page
    parser = _Forms(page)
    parser.feed(response.get_data(as_text=True))
    return parser.targets


def writes_refused(client, app, user, pages: dict[str, str]) -> list[tuple[str, str, str]]:
    """(page, form's address, endpoint) for every control on ``pages`` whose POST ``user`` may
    not send."""
    adapter = app.url_map.bind("localhost")
    found = []
    for page in sorted(set(pages.values())):
        response = client.get(page)
        if response.status_code != 200 or not response.content_type.startswith("text/html"):
            continue
        parser = _Forms(page)
        parser.feed(response.get_data(as_text=True))
        for target in parser.targets:
            path = urlsplit(target.replace("&amp;", "&")).path or urlsplit(page).path
            try:
                endpoint, _ = adapter.match(path, method="POST")
            except Exception:  # noqa: BLE001 (no POST route there: a mistake of its own)
                found.append((page, target, "no POST route"))
                continue
            policy = policy_for(endpoint, app.view_functions)
            if policy is None or policy.changes_refused(user.roles, "POST") \
                    or not policy.opens_for(user, "POST"):
                found.append((page, target, endpoint))
    return found


def _ready_batch() -> int:
    """A payout batch waiting to be marked executed (the demo's are paid already)."""

    from backoffice.core.db import transaction
    from backoffice.extensions import settings
    from backoffice.payouts.services import create_batch, open_payables

    admin = db.session.scalar(select(User).where(User.email == DEMO_USERS[0][0]))
    payable = next(p for items in open_payables(db.session).values() for p in items)
    with transaction():
        batch = create_batch(db.session, selected=[(payable.kind, payable.source_id)],
                             requested_on=clock.today(), actor=admin, settings=settings())
    return batch.id


@pytest.mark.demo_data
def test_the_auditor_is_shown_no_control_that_would_be_refused(app):
    auditor = db.session.scalar(select(User).where(User.email == AUDITOR))
    batch = f"/expenses/payouts/{_ready_batch()}"
    client = app.test_client()
    _log_in(client, AUDITOR)
    adapter = app.url_map.bind("localhost")
    pages, _ = _crawl(client, adapter, STARTS + ALSO + [batch])
    assert {"banking.reconcile", "banking.review", "payouts.batch", "board_audit.index",
            "board_audit.show", "invoicing.invoice", "expenses.claim", "grants.payouts",
            "grants.edit_programme", "reports.annual"} <= set(pages)
    refused = writes_refused(client, app, auditor, pages | {"ready batch": batch})
    assert refused == [], "\n".join(map(str, refused))
    # the checklist's own forms stay: the auditor's work
    html = client.get(pages["board_audit.show"]).get_data(as_text=True)
    assert re.search(r'<form[^>]+method="post"', html)

    # whoever may change them still has the controls: Accept, Undo, Executed
    treasurer = app.test_client()
    _log_in(treasurer, next(e for e, _, roles in DEMO_USERS if roles == [Role.TREASURER]))
    for page, control in ((pages["banking.reconcile"], "/accept"),
                          (pages["banking.review"], "/undo"), (batch, "/executed")):
        assert control in "".join(_targets(treasurer, page)), page
        assert control not in "".join(_targets(client, page)), page
