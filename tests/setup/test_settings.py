"""The settings area: stored settings override the configuration, every change is audited, a
value the settings cannot use is refused, and issued documents keep what they printed."""
from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from backoffice import create_app
from backoffice.core import stored_settings
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.core.settings import SetupIncomplete, setup_problems
from backoffice.core.stored_settings import StoredSetting
from backoffice.extensions import db, forget_stored_settings
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services

from ..conftest import base_config
from ..helpers import form_tokens, login
from ..invoicing import factories

NEW_IBAN = "DE75512108001245126199"


def _form(client) -> dict:
    """The settings form as the page shows it (every field with its current value)."""
    import re

    html = client.get("/admin/settings").get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', html):
        data[name] = text
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', options)
        data[name] = (chosen.group(1) or chosen.group(2)) if chosen else ""
    data.pop("submit", None)
    return {**data, **form_tokens(client, "/admin/settings")}


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_an_admin_changes_the_association_in_the_browser_and_the_settings_follow(app, client, users):
    login(client, "admin")
    assert app_settings().organisation.name == "Python Community Association e.V."
    response = client.post("/admin/settings", data={
        **_form(client), "ORGANISATION_NAME": "Kölner Python e.V.",
        "INVOICE_SELLER__street": "Domkloster 4", "SEPA_DEBTOR_IBAN": "de75 5121 0800 1245 1261 99",
        "FISCAL_YEAR_START_MONTH": "7", "EXPENSE_SECOND_APPROVAL_ABOVE": "750"})
    assert response.status_code == 302, response.get_data(as_text=True)
    forget_stored_settings()
    settings = app_settings()
    assert settings.organisation.name == "Kölner Python e.V."
    assert settings.invoicing.seller.name == "Kölner Python e.V."  # the seller's name follows
    assert settings.invoicing.seller.street == "Domkloster 4"
    assert settings.banking.sepa_debtor_iban == NEW_IBAN  # stored compact
    assert settings.organisation.fiscal_year_start_month == 7
    assert str(settings.expenses.second_approval_above) == "750"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.change")).one()
    assert event.actor_label == "admin@test.example"
    assert event.before["ORGANISATION_NAME"] == "Python Community Association e.V."
    assert event.after == {"ORGANISATION_NAME": "Kölner Python e.V.",
                           "INVOICE_SELLER.street": "Domkloster 4", "SEPA_DEBTOR_IBAN": NEW_IBAN,
                           "FISCAL_YEAR_START_MONTH": 7, "EXPENSE_SECOND_APPROVAL_ABOVE": "750"}
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Kölner Python e.V." in page and "Changed Name of the association" in page
    # the same form sent again changes nothing and records nothing
    assert client.post("/admin/settings", data=_form(client)).status_code == 302
    assert db.session.scalar(select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action == "settings.change")) == 1


@pytest.mark.parametrize("field, value, message", [
    ("SEPA_DEBTOR_IBAN", "DE00 1234", "This IBAN is not valid"),
    ("BASE_URL", "backoffice.example.org", "must start with https://"),
    ("INVOICE_SELLER__country", "Germany", "two letters"),
    ("EXPENSE_SECOND_APPROVAL_ABOVE", "-5", "is not an amount"),
    ("GROUP_ADMIN_FEE_PERCENT", "seven", "is not an amount"),
])
def test_a_value_the_settings_cannot_use_is_refused_and_nothing_is_stored(app, client, users, field,
                                                                        value, message):
    login(client, "admin")
    response = client.post("/admin/settings", data={**_form(client), field: value,
                                                    "ORGANISATION_NAME": "Changed too"})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(StoredSetting)).all() == []
    assert app_settings().organisation.name == "Python Community Association e.V."


def test_only_admins_open_the_settings(app, client, users):
    for role in ("treasurer", "board", "organiser"):
        login(client, role)
        assert client.get("/admin/settings").status_code == 403
    login(client, "admin")
    assert client.get("/admin/settings").status_code == 200


def test_a_change_never_alters_an_issued_invoice(app, users):
    before = factories.issued(issue_date=date(2026, 5, 10))
    pdf_before = services.stored_pdf(db.session, before, settings=app_settings())
    printed = dict(before.seller)
    with transaction():
        stored_settings.save(db.session, app.config, {
            "ORGANISATION_NAME": "Renamed e.V.", "INVOICE_SELLER.street": "Neue Straße 9",
            "INVOICE_SELLER.iban": NEW_IBAN, "INVOICE_SELLER.bic": "SOGEDEFFXXX"},
            actor=users["admin"])
    forget_stored_settings()
    db.session.expire_all()
    again = db.session.get(type(before), before.id)
    assert again.seller == printed  # the frozen copy
    assert services.stored_pdf(db.session, again, settings=app_settings()) == pdf_before  # same bytes, same SHA-256
    assert services.document_of(db.session, again, settings=app_settings()).seller.street == "Musterstraße 12"
    after = factories.issued(issue_date=date(2026, 5, 11))
    assert after.seller["street"] == "Neue Straße 9" and after.seller["name"] == "Renamed e.V."
    text = _text(services.stored_pdf(db.session, after, settings=app_settings()))
    assert "Neue Straße 9" in text and "Renamed e.V." in text
    assert "Musterstraße 12" in _text(pdf_before)


def test_another_process_sees_a_change_from_its_next_request(app, users, database_url):
    other = create_app(base_config(database_url))
    with other.app_context():
        assert app_settings().organisation.name == "Python Community Association e.V."
    with transaction():
        stored_settings.save(db.session, app.config, {"ORGANISATION_NAME": "Seen elsewhere e.V."},
                             actor=users["admin"])
    with other.app_context():
        assert app_settings().organisation.name == "Seen elsewhere e.V."
        db.engine.dispose()


def test_unknown_keys_are_refused(app, users):
    with pytest.raises(ValidationError, match="SECRET_KEY cannot be changed here"):
        with transaction():
            stored_settings.save(db.session, app.config, {"SECRET_KEY": "x" * 40}, actor=None)


def test_production_refuses_to_issue_with_the_demo_details_and_says_what_is_missing(app, users):
    app.config["ENV"] = "production"
    problems = setup_problems(app_settings())
    assert any("demo iban" in p.lower() or "demo street" in p.lower() for p in problems)
    assert any("still the demo account" in p for p in problems)
    assert any("http://localhost" in p for p in problems)
    invoice = factories.draft(factories.sponsor())
    with pytest.raises(SetupIncomplete, match="not set up yet, so an invoice cannot be issued"):
        with transaction():
            services.issue(db.session, invoice, actor=None, settings=app_settings())
    assert db.session.get(type(invoice), invoice.id).is_draft
    with transaction():
        stored_settings.save(db.session, app.config, {
            "BASE_URL": "https://backoffice.verein.example", "INVOICE_SELLER.street": "Hauptstr. 1",
            "INVOICE_SELLER.tax_number": "214/5678/1234", "INVOICE_SELLER.vat_id": "DE811907980",
            "INVOICE_SELLER.register": "Amtsgericht Köln, VR 1", "INVOICE_SELLER.board": "A. Chair",
            "INVOICE_SELLER.email": "kasse@verein.example", "INVOICE_SELLER.website": "",
            "INVOICE_SELLER.iban": NEW_IBAN, "INVOICE_SELLER.bic": "SOGEDEFFXXX",
            "SEPA_DEBTOR_IBAN": NEW_IBAN}, actor=users["admin"])
    forget_stored_settings()
    assert setup_problems(app_settings()) == []
    with transaction():
        services.issue(db.session, invoice, actor=None, settings=app_settings())
    assert invoice.seller["street"] == "Hauptstr. 1"


def test_the_start_page_tells_admins_what_is_missing(app, client, users):
    app.config["ENV"] = "production"
    login(client, "admin")
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="setup-missing"' in page and "still the demo account" in page
    login(client, "treasurer")
    assert 'data-testid="setup-missing"' not in client.get("/").get_data(as_text=True)


def test_doctor_says_what_is_missing(app, users):
    output = app.test_cli_runner().invoke(args=["doctor"]).output
    assert "ok    mail through 127.0.0.1" in output
    assert "info  Stripe: STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET not set" in output
    assert "ok    the association's details are complete" in output  # the demo counts outside production
    app.config.update(ENV="production", MAIL_SERVER=None, STRIPE_SECRET_KEY="sk_test_x")
    output = app.test_cli_runner().invoke(args=["doctor"]).output
    assert "WARN  production without MAIL_SERVER" in output
    assert "WARN  Stripe: STRIPE_WEBHOOK_SECRET not set" in output
    assert "FAIL  setup: The account that pays out is still the demo account" in output
    assert "FAIL  setup: The public address is http://localhost" in output
    assert "problem(s) found" in output
