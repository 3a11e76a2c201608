"""A receipt cancelled and replaced through its page (the donor told, the replacement's PDF naming
the receipt it replaces), the receipt's PDF on A4, and a waived reimbursement end to end: waived
through the service, its receipt issued through the receipts service, the PDF saying "Ja"."""
from __future__ import annotations

import email
import email.policy
import io
import re
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select

from backoffice.core.db import transaction
from backoffice.core.outbox import OutboxMail
from backoffice.core.permissions import Role
from backoffice.donations import waivers
from backoffice.donations.receipts import services
from backoffice.donations.receipts.models import Receipt
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..helpers import csrf_token, login
from . import receipt_factories as make
from .test_waiver import _claim

DAY = date(2027, 1, 15)


def _pdf(receipt) -> bytes:
    return services.stored_pdf(db.session, receipt, app_settings())


def _text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
                    .split())


def _mails() -> list[OutboxMail]:
    return db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()


def _attachment(mail: OutboxMail) -> bytes | None:
    message = email.message_from_bytes(mail.message, policy=email.policy.default)
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    return parts[0].get_content() if parts else None


def _issued(giver, cents=50000):
    gift = make.donation(giver, cents, date(2026, 3, 1))
    return services.issue_for_donation(db.session, gift, settings=app_settings(), actor=None,
                                       send=False, issue_date=DAY)


def _without_reason(client, receipt, action: str) -> str:
    """Log in, post ``action`` on the receipt's page without a reason (refused: the receipt
    stays as it was); the CSRF token for the next post."""
    login(client, Role.TREASURER)
    path = f"/donations/receipts/{receipt.id}"
    token = csrf_token(client, path)
    response = client.post(f"{path}/{action}", data={"csrf_token": token, "reason": " "},
                           follow_redirects=True)
    done = {"cancel": "cancelled", "replace": "replaced"}[action]
    assert f"Say why the receipt is {done}." in response.get_data(as_text=True)
    db.session.expire_all()
    assert receipt.valid and _mails() == []
    return token


def test_cancelling_a_receipt_on_its_page_tells_the_donor(app, client, users):
    receipt = _issued(make.donor(email="erika@example.org"))
    path = f"/donations/receipts/{receipt.id}"
    token = _without_reason(client, receipt, "cancel")
    response = client.post(f"{path}/cancel", data={"csrf_token": token,
                                                  "reason": "the amount was wrong"})
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    db.session.expire_all()
    assert not receipt.valid and receipt.cancel_reason == "the amount was wrong"
    told, = _mails()
    assert told.recipients == "erika@example.org" and receipt.number in told.subject
    assert "the amount was wrong" in email.message_from_bytes(
        told.message, policy=email.policy.default).get_body(("plain",)).get_content()
    # Twice: refused with the reason, nothing more sent.
    response = client.post(f"{path}/cancel", data={"csrf_token": token, "reason": "again"},
                           follow_redirects=True)
    assert "cancelled already" in response.get_data(as_text=True) and len(_mails()) == 1


def test_replacing_a_receipt_on_its_page(app, client, users):
    giver = make.donor(email="erika@example.org")
    wrong = _issued(giver)
    with transaction():
        giver.street = "Neue Straße 1"
    path = f"/donations/receipts/{wrong.id}"
    token = _without_reason(client, wrong, "replace")
    assert db.session.scalar(select(Receipt).where(Receipt.replaces_id == wrong.id)) is None
    response = client.post(f"{path}/replace", data={"csrf_token": token,
                                                   "reason": "the donor moved"})
    assert response.status_code == 302
    db.session.expire_all()
    replacement = db.session.scalar(select(Receipt).where(Receipt.replaces_id == wrong.id))
    assert response.headers["Location"].endswith(f"/donations/receipts/{replacement.id}")
    assert not wrong.valid and replacement.valid
    text = _text(_pdf(replacement))
    assert re.search(rf"ersetzt die Zuwendungsbestätigung Nr\. {re.escape(wrong.number)} vom "
                     r"15\.01\.2027", text)
    assert "Neue Straße 1" in text
    mail = next(m for m in _mails() if replacement.number in m.subject)
    assert mail.recipients == "erika@example.org" and _attachment(mail) == _pdf(replacement)
    # The page shows both ways: the replacement names what it replaces.
    page = client.get(f"/donations/receipts/{replacement.id}").get_data(as_text=True)
    assert wrong.number in page
    assert client.get(f"/donations/receipts/{replacement.id}.pdf").data == _pdf(replacement)


def test_a_receipt_is_printed_on_a4(app):
    receipt = _issued(make.donor())
    for page in PdfReader(io.BytesIO(_pdf(receipt))).pages:
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_a_waived_claim_end_to_end(app, session, users):
    group, claim = _claim(session, users)
    with transaction():
        donation = waivers.waive(session, claim, actor=group.organisers[0])
        donor = donation.donor  # the claimant, as a donor: the receipt needs the address
        donor.street, donor.postcode, donor.city, donor.country = (
            "Pontstraße 1", "52062", "Aachen", "DE")
    receipt = services.issue_for_donation(session, donation, settings=app_settings(),
                                          actor=None, send=False)
    assert [gift.donation_id for gift in receipt.gifts] == [donation.id]
    text = _text(_pdf(receipt))
    assert re.search(r"Verzicht auf (die )?Erstattung von Aufwendungen:? Ja ☒ Nein ☐", text), text
    assert "42,50" in text and "zweiundvierzig Euro und fünfzig Cent" in text
