"""Issuing: number, frozen document, stored PDF, booking; cancellation."""
from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from backoffice.core.db import transaction
from backoffice.core.errors import InvalidTransition
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services, state
from backoffice.invoicing.models import Invoice
from backoffice.ledger.models import JournalEntry

from . import factories


def _postings(entry_id):
    entry = db.session.get(JournalEntry, entry_id)
    return sorted((p.account.role or p.account.code, p.fund.code, p.amount) for p in entry.postings)


def test_issue_numbers_books_and_stores_the_pdf(app):
    invoice = factories.issued(issue_date=date(2026, 5, 10))
    assert invoice.number == "2026-00001"
    assert invoice.status == "issued"
    assert invoice.due_date == date(2026, 6, 9)
    assert (invoice.net_total, invoice.tax_total, invoice.gross_total) == (500000, 95000, 595000)
    assert invoice.payment_reference.startswith("RF") and invoice.payment_reference.endswith("202600001")
    pdf = services.stored_pdf(db.session, invoice, settings=app_settings())
    assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == invoice.pdf_sha256
    assert _postings(invoice.journal_entry_id) == sorted([
        ("receivables", "GEN", 500000), ("sponsorship_income", "GEN", -500000),
        ("receivables", "GEN", 95000), ("vat_payable", "GEN", -95000)])
    second = factories.issued(issue_date=date(2026, 5, 11))
    assert second.number == "2026-00002"


def test_issued_invoice_is_refused_by_the_service(app):
    invoice = factories.issued()
    with pytest.raises(InvalidTransition):
        with transaction():
            services.update_draft(db.session, invoice, services.DraftData(
                sponsor=invoice.sponsor, currency="EUR", service_date=date(2026, 1, 1),
                lines=[services.LineData("x", 1000, 1)]), actor=None, settings=app_settings())
    with pytest.raises(InvalidTransition):
        with transaction():
            services.delete_draft(db.session, invoice, actor=None)


@pytest.mark.parametrize("statement", [
    "UPDATE invoices SET gross_total = gross_total + 100, net_total = net_total + 100 WHERE id = :id",
    "UPDATE invoices SET status = 'draft' WHERE id = :id",
    "DELETE FROM invoices WHERE id = :id",
    "UPDATE invoice_lines SET unit_price = 1 WHERE invoice_id = :id",
    "DELETE FROM invoice_lines WHERE invoice_id = :id",
    "INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, unit_price, net, "
    "tax_treatment, exempt_reason) VALUES (:id, 9, 'extra', 1000, 100, 100, 'standard', '')",
])
def test_issued_invoice_is_refused_by_the_database(app, statement):
    invoice = factories.issued()
    with pytest.raises(DBAPIError, match="issued invoice never change"):
        with transaction():
            db.session.execute(text(statement), {"id": invoice.id})
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).gross_total == 595000


def test_drafts_stay_editable_in_the_database(app):
    invoice = factories.draft(factories.sponsor())
    with transaction():
        db.session.execute(text("UPDATE invoice_lines SET description = 'changed' "
                                "WHERE invoice_id = :id"), {"id": invoice.id})
        db.session.execute(text("DELETE FROM invoice_lines WHERE invoice_id = :id"), {"id": invoice.id})
        db.session.execute(text("DELETE FROM invoices WHERE id = :id"), {"id": invoice.id})


def test_cancellation_has_its_own_number_and_reverses_the_entry(app):
    invoice = factories.issued(issue_date=date(2026, 5, 10))
    with transaction():
        cancellation = services.cancel(db.session, invoice, actor=None, reason="Wrong package",
                                       issue_date=date(2026, 5, 12), settings=app_settings())
    assert cancellation.number == "2026-00002"
    assert cancellation.cancels_id == invoice.id and cancellation.kind == "cancellation"
    assert cancellation.gross_total == -595000
    reversal = db.session.get(JournalEntry, cancellation.journal_entry_id)
    assert reversal.reverses_id == invoice.journal_entry_id
    assert _postings(reversal.id) == sorted((r, f, -a) for r, f, a in _postings(invoice.journal_entry_id))
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert state.status(invoice, date(2026, 5, 12)) is state.Status.CANCELLED
    assert state.open_invoices(db.session) == []
    with pytest.raises(InvalidTransition, match="already cancelled"):
        with transaction():
            services.cancel(db.session, invoice, actor=None, reason="again", settings=app_settings())
    with pytest.raises(InvalidTransition, match="itself a cancellation"):
        with transaction():
            services.cancel(db.session, cancellation, actor=None, reason="again", settings=app_settings())
    numbers = db.session.scalars(select(Invoice.number).order_by(Invoice.number)).all()
    assert numbers == ["2026-00001", "2026-00002"]


def test_group_invoice_goes_to_the_group_fund_with_its_admin_fee(app):
    from decimal import Decimal

    from backoffice.funds.fees import set_policy
    from backoffice.funds.models import IncomeKind
    from backoffice.groups.models import MemberGroup
    from backoffice.ledger import services as ledger

    with transaction():
        fund = ledger.create_fund(db.session, code="PYCON", name="PyConf", actor=None)
        group = MemberGroup(name="PyConf", slug="pycon", fund_id=fund.id)
        db.session.add(group)
        set_policy(db.session, fund, rate_percent=Decimal("7"), kinds=[IncomeKind.SPONSORSHIP],
                   effective_from=date(2026, 1, 1), actor=None)
    invoice = factories.issued(group_id=group.id, issue_date=date(2026, 5, 10))
    postings = _postings(invoice.journal_entry_id)
    assert ("receivables", "PYCON", 500000) in postings
    assert ("vat_payable", "PYCON", -95000) in postings
    assert ("admin_fee_expense", "PYCON", 35000) in postings
    assert ("admin_fee_income", "GEN", -35000) in postings


def test_stored_pdf_that_was_changed_on_disk_is_not_served(app):
    from backoffice.core.errors import Conflict
    from backoffice.core.uploads import StoredFile, path_of

    invoice = factories.issued()
    path = path_of(db.session.get(StoredFile, invoice.pdf_file_id), app_settings().paths.uploads)
    path.write_bytes(path.read_bytes() + b"\n% tampered")
    with pytest.raises(Conflict, match="SHA-256"):
        services.stored_pdf(db.session, invoice, settings=app_settings())


def test_open_invoices_and_lookup_by_payment_reference_for_reconciliation(app):
    from backoffice.core.money import Money

    first = factories.issued(issue_date=date(2026, 5, 10))
    second = factories.issued(issue_date=date(2026, 5, 11))
    with transaction():
        services.record_payment(db.session, first, amount=Money(100000, "EUR"), reference="b-1",
                                received_on=date(2026, 5, 20), method="bank", debit_role="bank")
    items = state.open_invoices(db.session)
    assert [(i.invoice.number, i.outstanding) for i in items] == [
        (first.number, first.gross_total - 100000), (second.number, second.gross_total)]
    spaced = " ".join(second.payment_reference[i:i + 4]
                      for i in range(0, len(second.payment_reference), 4))
    assert state.find_by_reference(db.session, f"SEPA {spaced} THANKS Beispiel") == second
    assert state.find_by_reference(db.session, f"Rechnung {first.number} Gold") == first
    assert state.find_by_reference(db.session, "RF18 5390 0754 7034 unrelated") is None
