"""The web layer: CSRF, error pages, security headers, pages rendering with real data, and one
door for each kind of input and output."""
import importlib
import pkgutil
from pathlib import Path

import pytest
import wtforms
from sqlalchemy import func, select
from wtforms.fields.core import UnboundField

import backoffice
from backoffice.core import clock
from backoffice.ledger.models import JournalEntry

from .helpers import login


def test_forms_without_a_csrf_token_are_refused_and_change_nothing(client, users, session):
    login(client, "treasurer")
    before = session.scalar(select(func.count()).select_from(JournalEntry))
    response = client.post("/ledger/entries/new", data={
        "booking_date": clock.today().isoformat(), "description": "No token", "currency": "EUR",
        "lines-0-account": "1", "lines-0-fund": "1", "lines-0-debit": "5",
        "lines-1-account": "2", "lines-1-fund": "1", "lines-1-credit": "5"})
    assert response.status_code == 400
    assert "without a valid security token" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == before
    forged = client.post("/ledger/periods/month/2026-01-01/close", data={"csrf_token": "forged"})
    assert forged.status_code == 400


def test_friendly_error_pages(client, users):
    login(client, "organiser")
    forbidden = client.get("/ledger/journal")
    assert forbidden.status_code == 403 and "Not allowed" in forbidden.get_data(as_text=True)
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "There is nothing at this address" in missing.get_data(as_text=True)


def test_the_menu_follows_the_user_the_page_and_the_language(client, users):
    """base.html's main menu and a package's links below it are rendered once per process for
    each set of permissions, page and language (web._kept): the page's section is marked, each
    role sees its own items, each language its own words, and a menu kept for one never shows
    for another."""
    login(client, "treasurer")
    start = client.get("/").get_data(as_text=True)
    journal = client.get("/ledger/journal").get_data(as_text=True)
    german = client.get("/ledger/journal", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<a class="nav-link active" href="/">Overview</a>' in start
    assert '<a class="nav-link " href="/ledger/journal">Ledger</a>' in start
    assert '<a class="nav-link active" href="/ledger/journal">Ledger</a>' in journal
    assert '<a class="nav-link " href="/">Overview</a>' in journal
    assert '<a class="nav-link active" href="/ledger/journal">Buchhaltung</a>' in german
    assert 'href="/users">Users</a>' not in journal
    trial_balance = client.get("/ledger/trial-balance").get_data(as_text=True)  # the links below
    assert '<a class="nav-link active" href="/ledger/journal">Journal</a>' in journal
    assert '<a class="nav-link " href="/ledger/journal">Journal</a>' in trial_balance
    assert '<a class="nav-link active" href="/ledger/trial-balance">Trial balance</a>' in trial_balance
    login(client, "admin")
    assert '<a class="nav-link " href="/users">Users</a>' in client.get("/").get_data(as_text=True)
    login(client, "auditor")
    groups = client.get("/groups").get_data(as_text=True)
    assert '<a class="nav-link active" href="/groups">Groups</a>' in groups
    assert '<a class="nav-link " href="/audits/">Audits</a>' in groups
    assert 'href="/users">Users</a>' not in groups


def test_security_headers(client, users):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"  # also pages for anonymous visitors
    login(client, "treasurer")
    assert client.get("/").headers["Cache-Control"] == "no-store"
    with client.get("/static/css/app.css") as asset:  # static files: cached, revalidated
        assert "no-store" not in asset.headers["Cache-Control"]


def test_assets_are_served_locally(client):
    html = client.get("/login").get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html
    for asset in ("/bootstrap/static/css/bootstrap.min.css", "/static/css/app.css",
                  "/static/vendor/htmx.min.js", "/static/js/entry-form.js", "/static/favicon.svg"):
        with client.get(asset) as response:
            assert response.status_code == 200, asset


def test_health_check_is_public(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


@pytest.mark.parametrize("role, path, text", [
    ("treasurer", "/", "Held in all funds"),
    ("treasurer", "/ledger/journal", "Opening balance"),
    ("treasurer", "/ledger/accounts", "Interfund balances"),
    ("treasurer", "/ledger/fund-balances", "Python Users Berlin"),
    ("treasurer", "/ledger/trial-balance", "balanced"),
    ("treasurer", "/ledger/periods", "Fiscal year"),
    ("treasurer", "/ledger/entries/new", "Post entry"),
    ("treasurer", "/ledger/transfers/new", "Transfer between funds"),
    ("board", "/audit", "ledger.entry_posted"),
    ("admin", "/users", "treasurer@test.example"),
])
def test_pages_show_real_data(client, users, session, role, path, text):
    from backoffice.core.db import transaction
    from backoffice.core.money import Money
    from backoffice.ledger import services
    from backoffice.ledger.services import Line

    with transaction():
        berlin = services.create_fund(session, code="BER", name="Python Users Berlin", actor=users["treasurer"])
        services.post_entry(session, booking_date=clock.today(), description="Opening balance",
                            actor=users["treasurer"],
                            lines=[Line(services.account_by_code(session, "1200"), berlin, Money(10000, "EUR")),
                                   Line(services.account_by_code(session, "3000"), berlin, Money(-10000, "EUR"))])
    login(client, role)
    response = client.get(path)
    assert response.status_code == 200
    assert text in response.get_data(as_text=True)



# --- one door for each kind of input and output (core.query, core.forms, core.exports) ---------

ROOT = Path(backoffice.__file__).parent


def _sources_with(*needles: str) -> list[str]:
    return sorted(str(path.relative_to(ROOT)) for path in ROOT.rglob("*.py")
                  if any(needle in path.read_text() for needle in needles))


def test_views_read_the_query_string_only_through_core_query():
    """``core.query`` parses every parameter; the login's ``next`` is the auth package's own."""
    assert _sources_with("request.args") == ["auth/views.py", "core/query.py"]
    assert Path(ROOT, "auth/views.py").read_text().count("request.args") == 1


def test_every_csv_goes_through_the_safe_writer():
    assert _sources_with("csv.writer(", "csv.DictWriter(") == ["core/exports.py"]


def _form_classes():
    for module in pkgutil.walk_packages(backoffice.__path__, "backoffice."):
        if module.name.endswith("forms"):
            importlib.import_module(module.name)
    stack, seen = [wtforms.Form], set()
    while stack:
        cls = stack.pop()
        if cls not in seen:
            seen.add(cls)
            stack.extend(cls.__subclasses__())
            if cls.__module__.startswith("backoffice."):
                yield cls


def test_every_form_uses_the_projects_text_date_and_number_fields():
    """core.forms' fields refuse control characters, far dates and numbers beyond a column (and
    its selects are drawn faster)."""
    own = {wtforms.StringField, wtforms.TextAreaField, wtforms.EmailField, wtforms.DateField,
           wtforms.IntegerField, wtforms.SelectField}
    classes = list(_form_classes())
    plain = [(cls.__qualname__, name) for cls in classes for name in dir(cls)
             if isinstance(getattr(cls, name, None), UnboundField)
             and getattr(cls, name).field_class in own]
    assert len(classes) > 30 and plain == []


def test_templates_mark_nothing_safe_that_users_wrote():
    """Jinja escapes everything; the one ``|safe`` left turns escaped line breaks into <br>."""
    templates = ROOT.parent / "templates"
    marked = sorted((str(path.relative_to(templates)), line.strip())
                    for path in templates.rglob("*.html") for line in path.read_text().splitlines()
                    if "|safe" in line.replace(" ", "") or "Markup(" in line)
    assert [name for name, _ in marked] == ["pdf/grant_award_letter.html"]
    assert "|e|replace('\\n', '<br>'|safe)" in marked[0][1]


def test_id_urls_write_what_url_for_writes(app):
    """A page's many links through one ``url_for`` (core.views.id_urls): the same addresses,
    other arguments kept; a marker that shows up elsewhere in the address falls back to url_for."""
    from flask import url_for

    from backoffice.core.bounds import MAX_ID
    from backoffice.core.views import id_urls
    with app.test_request_context("/"):
        for endpoint, key, values in [("ledger.account", "account_id", {}),
                                      ("ledger.entry", "entry_id", {"next": "/a b?c=1"}),
                                      ("ledger.account", "account_id", {"q": str(MAX_ID)})]:
            url = id_urls(endpoint, key, **values)
            assert [url(n) for n in (1, 42, MAX_ID)] == [url[n] for n in (1, 42, MAX_ID)] == \
                [url_for(endpoint, **values, **{key: n}) for n in (1, 42, MAX_ID)]
