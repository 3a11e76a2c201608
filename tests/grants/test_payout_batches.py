"""Grant payments through the payout batches of the expenses package: the grant is a payable
source; executing the batch books the grant paid."""
from __future__ import annotations

import pytest

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.errors import InvalidTransition
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.grants import paying
from backoffice.grants.models import DisbursementStatus, Status
from backoffice.ledger.models import JournalEntry
from backoffice.payouts import services as batches

from .conftest import eur, make_application


def test_a_grant_payment_goes_through_a_payout_batch(grants, mailbox):
    before = grants.fund_balance()
    application = make_application(grants, Status.APPROVED, amount=eur(600))
    with transaction():
        payment = paying.create_disbursement(db.session, application, amount=eur(400),
                                               actor=grants.treasurer, organisation=app_settings().organisation.name)
    payable = next(p for p in batches.open_payables(db.session)["grant"]
                   if p.source_id == str(payment.id))
    assert (payable.payee_name, payable.iban, payable.amount) == (
        "PyLadies Bremen", "DE89370400440532013000", eur(400))
    assert payable.fund.code == "GRANTS" and payable.liability_account.role == "grants_payable"
    with transaction():
        batch = batches.create_batch(db.session, selected=[("grant", str(payment.id))],
                                     requested_on=clock.today(), actor=grants.treasurer, settings=app_settings())
    assert "GRANT-" in batch.xml and "PyLadies Bremen" in batch.xml
    with pytest.raises(InvalidTransition, match="is in payout batch"):
        with transaction():
            paying.cancel_disbursement(db.session, payment, actor=grants.treasurer)
    with transaction():
        batches.mark_executed(db.session, batch, booked_on=clock.today(), actor=grants.treasurer, settings=app_settings())
    db.session.refresh(payment)
    db.session.refresh(application)
    assert payment.status is DisbursementStatus.PAID and payment.batch_ref == batch.message_id
    assert application.amount_paid == 40000 and application.status is Status.APPROVED
    entry = db.session.get(JournalEntry, payment.entry_id)
    assert {(p.account.role, p.fund.code, p.amount) for p in entry.postings} >= {
        ("grants_payable", "GRANTS", 40000), ("bank", "GRANTS", -40000)}
    assert "Payment of your grant" in mailbox[-1]["Subject"]

    # The rest in a second batch, which the bank refuses first.
    with transaction():
        rest = paying.create_disbursement(db.session, application, actor=grants.treasurer, organisation=app_settings().organisation.name)
        refused = batches.create_batch(db.session, selected=[("grant", str(rest.id))],
                                       requested_on=clock.today(), actor=grants.treasurer, settings=app_settings())
    with transaction():
        batches.cancel_batch(db.session, refused, reason="Wrong file", actor=grants.treasurer)
    with transaction():
        again = batches.create_batch(db.session, selected=[("grant", str(rest.id))],
                                     requested_on=clock.today(), actor=grants.treasurer, settings=app_settings())
        batches.mark_executed(db.session, again, booked_on=clock.today(), actor=grants.treasurer, settings=app_settings())
    db.session.refresh(application)
    assert application.status is Status.PAID and application.amount_paid == 60000
    assert grants.fund_balance() == before - 60000


def test_the_payout_pages_say_when_an_approved_grant_is_not_yet_payable(grants, client):
    from backoffice.core.permissions import Role

    from ..helpers import login

    assert batches.not_yet_payable(db.session) == []
    application = make_application(grants, Status.APPROVED, amount=eur(600))
    make_application(grants, Status.APPROVED, amount=eur(300))
    note, = batches.not_yet_payable(db.session)
    assert note.sentence.startswith("2 approved grants are not yet payable: open each and choose")
    login(client, Role.TREASURER)
    for path in ("/expenses/payouts", "/expenses/payouts/new"):
        page = client.get(path).get_data(as_text=True)
        assert "2 approved grants are not yet payable" in page
        assert 'href="/grants/queue?status=approved"' in page
    with transaction():
        paying.create_disbursement(db.session, application, amount=eur(100), actor=grants.treasurer,
                                   organisation=app_settings().organisation.name)
    note, = batches.not_yet_payable(db.session)
    assert note.sentence.startswith("1 approved grant is not yet payable: open it")
    page = client.get("/expenses/payouts/new").get_data(as_text=True)
    assert ' checked' not in page.split("data-testid=\"payables-grant\"")[1]  # nothing ticked
