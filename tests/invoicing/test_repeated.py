"""Issuing or cancelling an invoice twice (a double click): done once, the second answer is the
invoice page with a calm note."""
from __future__ import annotations

from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.invoicing.models import Invoice
from backoffice.ledger.models import JournalEntry

from ..helpers import login, post_twice
from ..soundness import assert_money_sound
from . import factories


def test_issuing_and_cancelling_twice_happens_once_and_answers_calmly(client, users):
    invoice = factories.draft(factories.sponsor())
    login(client, "treasurer")
    page = f"/invoices/{invoice.id}"

    note = post_twice(client, f"{page}/issue", {}, page=page)
    assert "already issued" in note
    post_twice(client, f"{page}/cancel", {"reason": "Wrong amount"}, page=page)

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 2  # and the cancellation
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 2
    assert_money_sound(db.session)
