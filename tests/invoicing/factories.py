"""Sponsors and invoices for tests, made through the services."""
from __future__ import annotations

from datetime import date

from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services, sponsors
from backoffice.invoicing.services import DraftData, LineData
from backoffice.invoicing.sponsors import SponsorData

SPONSORS = {
    "DE": dict(name="Beispiel Software GmbH", street="Hauptstraße 5", postcode="50667",
               city="Köln", country="DE", vat_id="DE136695976", language="de"),
    "NL": dict(name="Voorbeeld B.V.", street="Keizersgracht 100", postcode="1015 AA",
               city="Amsterdam", country="NL", vat_id="NL004495445B01", language="en"),
    "US": dict(name="Example Cloud Inc.", street="500 Market Street\nSuite 300",
               postcode="94105", city="San Francisco", country="US", language="en"),
}


def sponsor(key: str = "DE", **overrides):
    data = SponsorData(**{**SPONSORS[key], "billing_emails": "ap@sponsor.example", **overrides})
    with transaction():
        return sponsors.create_sponsor(db.session, data, actor=None)


def draft(sponsor_, lines=None, *, group_id=None, service_date=date(2026, 5, 4), currency="EUR",
          **extra):
    lines = lines or [("Gold sponsorship PyConf 2026", 1000, 500000, "standard")]
    data = DraftData(sponsor=sponsor_, currency=currency, service_date=service_date,
                     group_id=group_id,
                     lines=[LineData(description=d, quantity_milli=q, unit_price=p,
                                     tax_treatment=t, exempt_reason=r[0] if r else "")
                            for d, q, p, t, *r in lines], **extra)
    with transaction():
        return services.create_draft(db.session, data, actor=None, settings=app_settings())


def issued(sponsor_=None, lines=None, *, actor=None, issue_date=None, **extra):
    invoice = draft(sponsor_ or sponsor(), lines, **extra)
    with transaction():
        services.issue(db.session, invoice, actor=actor, issue_date=issue_date, settings=app_settings())
    return invoice
