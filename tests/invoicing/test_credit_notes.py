"""Partial credit notes in every VAT case: their own number, the lines per VAT rate, and an
e-invoice that passes the EN 16931 business rules (tests issue with INVOICE_CHECK_EN16931)."""
from __future__ import annotations

import facturx
import pytest

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import en16931, services, state

from . import factories

EXEMPT = "Steuerfrei nach § 4 Nr. 22 a UStG"
CASES = {
    "domestic, one rate": ("DE", [("Gold", 1000, 500000, "standard")], 100000),
    "domestic, mixed rates": ("DE", [("Booth", 1000, 300000, "standard"),
                                     ("Catering", 2000, 25000, "reduced"),
                                     ("Talk", 1000, 80000, "exempt", EXEMPT)], 123457),
    "EU reverse charge": ("NL", [("Gold", 1000, 500000, "standard")], 77777),
    "outside the EU": ("US", [("Gold", 1000, 500000, "standard")], 250000),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_partial_credit_note_passes_the_business_rules_in_every_vat_case(app, case):
    country, lines, amount = CASES[case]
    invoice = factories.issued(factories.sponsor(country), lines)
    with transaction():
        note = services.issue_credit_note(db.session, invoice, Money(amount, "EUR"), actor=None,
                                          reason="Credit for a refund", settings=app_settings())
    assert note.number != invoice.number and note.sequence == invoice.sequence + 1
    assert amount <= -note.gross_total <= amount + len(lines)  # the rounding rule's bound
    _, xml = facturx.get_xml_from_pdf(services.stored_pdf(db.session, note, settings=app_settings()), check_xsd=True)
    assert [f for f in en16931.failures(xml) if f.flag != "warning"] == []
    db.session.expire_all()
    assert state.owed(db.session.get(type(invoice), invoice.id)) == \
        invoice.gross_total + note.gross_total
