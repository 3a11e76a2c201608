"""The first run: with nobody to log in, the setup wizard creates the first admin and stores the
association's details in one unit of work; production leads every page to it."""
from __future__ import annotations

import re

from sqlalchemy import select

from backoffice import create_app
from backoffice.auth.models import User
from backoffice.core.audit import AuditEvent
from backoffice.core.settings import setup_problems
from backoffice.core.stored_settings import StoredSetting
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..core.test_config import PRODUCTION
from ..helpers import form_tokens

IBAN = "DE75 5121 0800 1245 1261 99"
ANSWERS = {"name": "Erika Kasse", "email": "erika@verein.example", "password": "lang genug 12345",
           "confirm": "lang genug 12345", "organisation": "Kölner Python e.V.",
           "street": "Domkloster 4", "postcode": "50667", "city": "Köln", "country": "de",
           "register": "Amtsgericht Köln, VR 1234", "board": "Erika Kasse, Max Vorstand",
           "tax_number": "214/5678/1234", "contact": "kasse@verein.example",
           "bank_name": "Sparkasse KölnBonn", "iban": IBAN, "bic": "",
           "base_url": "https://backoffice.verein.example"}


def test_the_wizard_creates_the_first_admin_and_the_association(app, client):
    page = client.get("/setup")
    assert page.status_code == 200 and "Set up the association" in page.get_data(as_text=True)
    response = client.post("/setup", data={**form_tokens(client, "/setup"), **ANSWERS})
    assert response.status_code == 302 and response.location.endswith("/admin/settings")
    admin = db.session.scalars(select(User)).one()
    assert admin.email == "erika@verein.example" and [r.role for r in admin.role_rows] == ["admin"]
    assert client.get("/admin/settings").status_code == 200  # logged in as the admin
    settings = app_settings()
    assert settings.organisation.name == "Kölner Python e.V."
    seller = settings.invoicing.seller
    assert (seller.name, seller.street, seller.country, seller.iban) == (
        "Kölner Python e.V.", "Domkloster 4", "DE", "DE75512108001245126199")
    assert settings.banking.sepa_debtor_iban == "DE75512108001245126199"
    assert seller.bic == settings.banking.sepa_debtor_bic == "SOGEDEFFXXX"  # derived from the IBAN
    assert settings.base_url == "https://backoffice.verein.example"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.change")).one()
    assert event.actor_id == admin.id
    assert client.get("/setup").status_code == 404  # once somebody has an account


def test_a_refused_answer_creates_nobody(app, client):
    response = client.post("/setup", data={**form_tokens(client, "/setup"), **ANSWERS,
                                           "iban": "DE00 0000"})
    assert response.status_code == 400 and "IBAN is not valid" in response.get_data(as_text=True)
    assert db.session.scalars(select(User)).all() == []
    assert db.session.scalars(select(StoredSetting)).all() == []
    short = client.post("/setup", data={**form_tokens(client, "/setup"), **ANSWERS,
                                        "password": "short", "confirm": "short"})
    assert short.status_code == 400 and db.session.scalars(select(User)).all() == []


def test_production_leads_every_page_to_the_wizard_until_it_is_done(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_INSTANCE_PATH", str(tmp_path))
    host = "https://backoffice.example.org"
    app = create_app({**PRODUCTION, "SQLALCHEMY_DATABASE_URI": database_url,
                      "INVOICE_SELLER": {}, "SEPA_DEBTOR_IBAN": ""})
    client = app.test_client()
    for path in ("/", "/login", "/invoices/"):
        response = client.get(path, base_url=host)
        assert response.status_code == 302 and response.location.endswith("/setup"), path
    assert client.get("/healthz", base_url=host).status_code == 200
    page = client.get("/setup", base_url=host).get_data(as_text=True)
    # The public address is typed, never suggested from the request's Host header.
    assert 'name="base_url"' in page and 'value="https://backoffice.example.org"' not in page
    with app.app_context():
        assert setup_problems(app_settings())  # nothing may be issued yet
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/setup", base_url=host, headers={"Referer": host + "/setup"}, data={
        **ANSWERS, "csrf_token": token, "base_url": host})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/login", base_url=host).status_code == 302  # logged in: to the start page
    with app.app_context():
        assert setup_problems(app_settings()) == []
        db.engine.dispose()


def test_the_login_page_links_to_the_public_pages(app, client, users):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/grants/"' in page and 'href="/join"' in page
