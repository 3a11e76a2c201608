"""Invoices, cancellations and credit notes are rendered outside the unit of work that numbers
them (``services.issue_now``, ``cancel_now``, ``decide_refund_now``): nobody waits for a PDF to
take the next number, and a rendering that fails writes nothing, so an issued document always
has its PDF."""
from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services
from backoffice.invoicing.models import Invoice, InvoiceNumberCounter, PaymentKind

from . import factories

DAY = date(2026, 5, 4)


def _numbers_free() -> bool:
    """Whether another connection could take a number right now (nobody holds the counters)."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA busy_timeout = 0")
        else:
            connection.exec_driver_sql("SET lock_timeout = '20ms'")
        try:
            connection.exec_driver_sql(
                "UPDATE invoice_number_counters SET last_number = last_number")
            return True
        except OperationalError:
            return False
        finally:
            connection.rollback()


@pytest.fixture
def renderings(monkeypatch):
    """For each PDF rendered: whether the numbers were free meanwhile."""
    seen: list[bool] = []
    render = services._render

    def watched(doc, settings):
        seen.append(_numbers_free())
        return render(doc, settings)

    monkeypatch.setattr(services, "_render", watched)
    return seen


def _refund(invoice, amount: int):
    with transaction():
        services.record_payment(db.session, invoice, amount=Money(invoice.gross_total, "EUR"),
                                reference="tr-1", received_on=DAY, method="bank",
                                debit_role="bank")
    with transaction():
        refund = services.record_payment(db.session, invoice, amount=Money(-amount, "EUR"),
                                         reference="re-1", received_on=DAY, method="bank",
                                         debit_role="bank", kind=PaymentKind.REFUND)
        services.note_refund(db.session, refund)
    return refund


def _text(invoice) -> str:
    return PdfReader(io.BytesIO(services.stored_pdf(db.session, invoice, settings=app_settings()))).pages[0].extract_text()


def test_issue_cancel_and_credit_render_while_nobody_holds_the_numbers(app, renderings):
    sponsor = factories.sponsor()
    factories.issued(sponsor, issue_date=DAY)  # the series' counter exists (rendered inside)
    first, second = factories.draft(sponsor), factories.draft(sponsor)
    renderings.clear()
    issued = services.issue_now(db.session, first, actor=None, issue_date=DAY, settings=app_settings())
    cancellation = services.cancel_now(db.session, issued, actor=None, reason="Duplicate",
                                       issue_date=DAY, settings=app_settings())
    services.issue_now(db.session, second, actor=None, issue_date=DAY, settings=app_settings())
    decision = services.decide_refund_now(db.session, _refund(second, 100000), "credit_note",
                                          actor=None, issue_date=DAY, settings=app_settings())
    note = decision.credit_note
    assert renderings == [True] * 4  # one rendering each, none inside a unit of work
    assert [first.number, cancellation.number, second.number, note.number] == \
        ["2026-00002", "2026-00003", "2026-00004", "2026-00005"]
    assert cancellation.cancels_id == first.id and cancellation.notes == "Duplicate"
    assert "2026-00003" in _text(cancellation) and "2026-00002" in _text(cancellation)
    assert "2026-00005" in _text(note) and note.gross_total == -100000


def test_a_cancellation_rendered_for_a_number_taken_meanwhile_is_rendered_again(app):
    sponsor = factories.sponsor()
    invoice, draft = factories.issued(sponsor, issue_date=DAY), factories.draft(sponsor)
    stale = services.render_for_issue(
        db.session, services._cancellation(invoice, reason="Wrong", actor=None, settings=app_settings()), issue_date=DAY, settings=app_settings())
    assert stale.document.number == "2026-00002"
    services.issue_now(db.session, draft, actor=None, issue_date=DAY, settings=app_settings())  # takes 2026-00002
    with pytest.raises(services.StaleRendering), transaction():
        services.cancel(db.session, invoice, actor=None, reason="Wrong", issue_date=DAY,
                        rendering=stale, settings=app_settings())
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 2  # nothing written
    cancellation = services.cancel_now(db.session, invoice, actor=None, reason="Wrong",
                                       issue_date=DAY, settings=app_settings())
    assert cancellation.number == "2026-00003"
    assert "2026-00003" in _text(cancellation) and "2026-00002" not in _text(cancellation)


def test_a_rendering_that_fails_writes_nothing(app):
    """The e-invoice of a seller without VAT ID or tax number breaks BR-S-02: issuing, cancelling
    and crediting refuse before anything is written, and no number is used up."""
    sponsor = factories.sponsor()
    invoice, draft = factories.issued(sponsor, issue_date=DAY), factories.draft(sponsor)
    refund = _refund(invoice, 100000)
    app.config["INVOICE_SELLER"] = {"vat_id": "", "tax_number": ""}
    with pytest.raises(ValueError, match="BR-S-02"):
        services.issue_now(db.session, draft, actor=None, issue_date=DAY, settings=app_settings())
    with pytest.raises(ValueError, match="BR-S-02"):
        services.cancel_now(db.session, invoice, actor=None, reason="Wrong", issue_date=DAY, settings=app_settings())
    with pytest.raises(ValueError, match="BR-S-02"):
        services.decide_refund_now(db.session, refund, "credit_note", actor=None,
                                   issue_date=DAY, settings=app_settings())
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 2
    assert db.session.get(Invoice, draft.id).is_draft
    assert db.session.scalar(select(InvoiceNumberCounter.last_number)) == 1
    assert refund.decision is None
