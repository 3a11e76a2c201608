"""Two treasurers (or one double click) matching at the same moment: an open amount is
allocated once, whatever the timing. Runs on SQLite and on PostgreSQL."""
from __future__ import annotations

from sqlalchemy import func, select

from backoffice.banking import services
from backoffice.banking.models import BankAccount, BankLine, BankMatch
from backoffice.core.db import transaction
from backoffice.core.errors import Conflict
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing.models import InvoicePayment

from ..concurrency import at_once
from ..invoicing.factories import issued
from .test_providers import SILVER, acme, line, statement  # noqa: F401  (acme: a fixture)


def test_two_lines_cannot_both_pay_the_same_invoice(app, session, bank, treasurer, acme):  # noqa: F811
    invoice = issued(acme, SILVER)
    first, second = statement(session, bank, treasurer, [
        line(119000, f"Invoice {invoice.number}"), line(119000, f"Re {invoice.number}")])
    ids = (bank.id, treasurer.id, invoice.id)
    db.session.remove()

    def match(line_id):
        def job(session):
            with transaction():
                account = session.get(BankAccount, ids[0])
                bank_line = session.get(BankLine, line_id)
                actor = session.get(type(treasurer), ids[1])
                services.accept(session, account, lines=[bank_line],
                                items=[("invoice", str(ids[2]))], actor=actor, settings=app_settings())
        return job

    outcome = at_once(app, [match(first.id), match(second.id)])
    assert sorted(type(error).__name__ for error in outcome) == ["Conflict", "NoneType"], outcome
    assert "no longer open" in str(next(e for e in outcome if isinstance(e, Conflict)))
    paid = db.session.scalar(select(func.sum(InvoicePayment.amount)).where(
        InvoicePayment.invoice_id == ids[2]))
    assert paid == 119000
    assert db.session.scalar(select(func.count()).select_from(BankMatch)) == 1


def test_a_double_click_on_accept_matches_once(app, session, bank, treasurer, acme):  # noqa: F811
    invoice = issued(acme, SILVER)
    only, = statement(session, bank, treasurer, [line(119000, f"Invoice {invoice.number}")])
    ids = (bank.id, treasurer.id, invoice.id, only.id)
    db.session.remove()

    def job(session):
        with transaction():
            services.accept(session, session.get(BankAccount, ids[0]),
                            lines=[session.get(BankLine, ids[3])], items=[("invoice", str(ids[2]))],
                            actor=session.get(type(treasurer), ids[1]), settings=app_settings())

    outcome = at_once(app, [job, job])
    assert sum(error is None for error in outcome) == 1
    assert all(isinstance(error, Conflict) for error in outcome if error is not None)
    assert db.session.scalar(select(func.sum(InvoicePayment.amount)).where(
        InvoicePayment.invoice_id == ids[2])) == 119000
