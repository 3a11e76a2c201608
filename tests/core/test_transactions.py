"""One unit of work is all or nothing, also when a service guards a write with a savepoint."""

import pytest
from sqlalchemy import func, select

from backoffice.core import clock
from backoffice.core.audit import AuditEvent, record
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.invoicing import services as invoicing
from backoffice.invoicing.models import InvoicePayment
from backoffice.ledger.models import JournalEntry

from ..invoicing import factories


def _count(session, model) -> int:
    session.remove()
    return session.scalar(select(func.count()).select_from(model))


def test_a_savepoint_as_the_first_write_is_rolled_back_with_the_whole(session):
    with pytest.raises(RuntimeError):
        with transaction():
            with session.begin_nested():
                record(session, None, "test.nested", "thing", 1, summary="inside a savepoint")
            raise RuntimeError("a later step refused")
    assert _count(session, AuditEvent) == 0


def test_a_payment_recorded_first_is_rolled_back_when_a_later_step_fails(app, session):
    invoice = factories.issued()
    session.commit()
    entries = _count(session, JournalEntry)
    invoice = session.merge(invoice)
    with pytest.raises(RuntimeError):
        with transaction():
            invoicing.record_payment(session, invoice, amount=Money(1000, "EUR"),
                                     reference="BANK-1", received_on=clock.today(), method="bank",
                                     actor=None, debit_role="bank")
            raise RuntimeError("a later step refused")
    assert _count(session, InvoicePayment) == 0 and _count(session, JournalEntry) == entries
