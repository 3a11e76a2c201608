"""Issuing, cancelling and replacing receipts against the database, on SQLite and PostgreSQL:
numbers, the stored PDF and its SHA-256, one valid receipt per donation (the database refuses a
second), the donor told, reversals, and a receipt that never changes but for its cancellation."""
from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from backoffice.core.db import transaction
from backoffice.core.errors import AlreadyDone, Conflict
from backoffice.core.outbox import OutboxMail
from backoffice.core.signals import donation_reversed
from backoffice.donations.models import DonationKind, DonationStatus
from backoffice.donations.receipts import services
from backoffice.donations.receipts.models import Receipt, ReceiptGift
from backoffice.donations.receipts.notice import ReceiptRefused
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..outsider import Outsider
from . import receipt_factories as make

DAY = date(2027, 1, 15)


def issue(donations, *, period=None, send=False, on=DAY):
    donor = donations[0].donor
    return services.issue(db.session, services.Request(donor.id, tuple(d.id for d in donations),
                                                       on, period=period),
                          settings=app_settings(), actor=None, send=send)


def text_of(receipt) -> str:
    pdf = services.stored_pdf(db.session, receipt, app_settings())
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def valid_receipts_of(donation_id) -> int:
    return db.session.scalar(select(func.count()).select_from(ReceiptGift).where(
        ReceiptGift.donation_id == donation_id, ReceiptGift.cancelled.is_(False)))


def test_a_receipt_is_numbered_stored_with_its_sha256_and_shows_what_was_given(app):
    giver = make.donor()
    receipt = issue([make.donation(giver, 10110)])
    assert receipt.number == "ZB-2027-00001" and receipt.kind == "money"
    pdf = services.stored_pdf(db.session, receipt, app_settings())
    assert hashlib.sha256(pdf).hexdigest() == receipt.pdf_sha256
    assert "einhundertein Euro und zehn Cent" in text_of(receipt)
    second = issue([make.donation(giver, 50000, date(2026, 4, 1))])
    assert second.number == "ZB-2027-00002"


def test_the_database_refuses_a_second_valid_receipt_for_a_donation(app):
    giver = make.donor()
    gift = make.donation(giver, 50000)
    first = issue([gift])
    with pytest.raises(AlreadyDone, match=first.number):
        issue([gift])  # the service refuses first
    # ... and the database refuses whoever writes past the service.
    with pytest.raises(Conflict):
        with transaction():
            row = Receipt(number="X-1", series="X", sequence=1, kind="money", donor_id=giver.id,
                          donor_name="x", donor_address="x", currency="EUR", total=50000,
                          period_start=DAY, period_end=DAY, issue_date=DAY,
                          pdf_file_id=first.pdf_file_id, pdf_sha256=first.pdf_sha256)
            row.gifts = [ReceiptGift(donation_id=gift.id, day=DAY, amount=50000, kind="money",
                                     waiver=False, cancelled=False)]
            db.session.add(row)
    db.session.rollback()
    assert valid_receipts_of(gift.id) == 1


def test_the_database_refuses_a_second_valid_receipt_from_another_client(app):
    giver = make.donor()
    gift = make.donation(giver, 50000)
    first_id, gift_id = issue([gift]).id, gift.id
    db.session.remove()
    with Outsider(db.engine.url) as sql:
        sql.execute("INSERT INTO receipts (number, series, sequence, kind, donor_id, donor_name, "
                    "donor_address, currency, total, period_start, period_end, issue_date, "
                    "pdf_file_id, pdf_sha256, created_at) SELECT 'X-1', 'X', 1, 'money', "
                    "donor_id, 'x', 'x', 'EUR', 50000, period_start, period_end, issue_date, "
                    "pdf_file_id, pdf_sha256, created_at FROM receipts WHERE id = ?", (first_id,))
        other = sql.rows("SELECT id FROM receipts WHERE number = 'X-1'")[0][0]
        with pytest.raises(Exception, match="(?i)unique|same key"):
            sql.execute("INSERT INTO receipt_gifts (receipt_id, donation_id, day, amount, kind, "
                        "waiver, cancelled) VALUES (?, ?, '2026-03-01', 50000, 'money', ?, ?)",
                        (other, gift_id, False, False))


def test_a_cancelled_receipt_frees_its_donations_and_the_donor_is_told(app):
    giver = make.donor()
    gift = make.donation(giver, 50000)
    receipt = issue([gift])
    with transaction():
        services.cancel(db.session, receipt, reason="wrong address", actor=None,
                        settings=app_settings())
    assert not receipt.valid and valid_receipts_of(gift.id) == 0
    notice = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
    assert notice.recipients == "erika@example.org"
    assert f"{receipt.number} ungültig" in notice.subject
    assert b"wrong address" in notice.message
    with pytest.raises(AlreadyDone):
        with transaction():
            services.cancel(db.session, receipt, reason="again", actor=None,
                            settings=app_settings())
    assert issue([gift]).number == "ZB-2027-00002"


def test_a_replacement_cancels_the_wrong_receipt_and_says_which_one_it_replaces(app):
    giver = make.donor()
    gifts = [make.donation(giver, 2500, date(2026, 1, 5)), make.donation(giver, 2500, date(2026, 2, 5))]
    wrong = issue(gifts, period=(date(2026, 1, 1), date(2026, 12, 31)))
    with transaction():
        giver.street = "Neue Straße 1"
    replacement = services.replace(db.session, wrong, reason="the donor moved", actor=None,
                                   settings=app_settings())
    db.session.expire_all()
    assert not wrong.valid and "replaced by" in wrong.cancel_reason
    assert replacement.replaces_id == wrong.id and replacement.kind == "collective"
    text = text_of(replacement)
    assert f"ersetzt die Zuwendungsbestätigung Nr. {wrong.number} vom 15.01.2027" in text
    assert "Neue Straße 1" in text and "Zeitraum der Sammelbestätigung: 01.01.2026 bis 31.12.2026" in text
    mail = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
    assert replacement.number in mail.subject and b"application/pdf" in mail.message
    assert all(valid_receipts_of(g.id) == 1 for g in gifts)


def test_a_reversed_donation_cancels_its_receipt_and_the_rest_is_confirmed_again(app):
    giver = make.donor()
    kept = make.donation(giver, 2500, date(2026, 1, 5))
    refunded = make.donation(giver, 4000, date(2026, 2, 5))
    receipt = issue([kept, refunded], period=(date(2026, 1, 1), date(2026, 12, 31)))
    with transaction():  # what donations.booking.reverse does, and the signal it sends
        refunded.status = DonationStatus.REVERSED
        donation_reversed.send(refunded, session=db.session, actor=None, reason="refunded by card",
                               settings=app_settings())
    # The job ran once the reversal committed (in-process queue).
    db.session.expire_all()
    assert not receipt.valid and "was reversed: refunded by card" in receipt.cancel_reason
    rest = db.session.scalar(select(Receipt).where(Receipt.replaces_id == receipt.id))
    assert rest is not None and rest.total == 2500 and rest.kind == "money"
    assert valid_receipts_of(kept.id) == 1 and valid_receipts_of(refunded.id) == 0
    subjects = db.session.scalars(select(OutboxMail.subject)).all()
    assert any(f"{receipt.number} ungültig" in s for s in subjects)


def test_a_reversed_donation_without_a_receipt_changes_nothing(app):
    gift = make.donation(make.donor(), 2500)
    with transaction():
        assert services.donation_reversed(db.session, gift, actor=None,
                                          settings=app_settings()) is None


def test_receipts_are_refused_with_the_reason(app):
    app.config["RECEIPTS_NOTICE"] = {**app.config["RECEIPTS_NOTICE"], "date": "2020-01-10"}
    giver = make.donor()
    with pytest.raises(ReceiptRefused, match="too old"):
        issue([make.donation(giver, 50000)])
    app.config["RECEIPTS_NOTICE"] = {**app.config["RECEIPTS_NOTICE"], "date": "2025-05-12"}
    with pytest.raises(ReceiptRefused, match="address"):
        issue([make.donation(make.donor("Nobody", address=False), 50000)])
    with pytest.raises(ReceiptRefused, match="pending"):
        issue([make.donation(giver, 50000, status=DonationStatus.PENDING)])
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == 0


def test_only_gifts_above_the_simplified_proof_limit_or_asked_for_need_a_receipt(app):
    giver, settings = make.donor(), app_settings()
    assert not services.needs_receipt(make.donation(giver, 30000), settings)
    assert services.needs_receipt(make.donation(giver, 30001), settings)
    assert services.needs_receipt(make.donation(giver, 500, wanted=True), settings)
    assert services.needs_receipt(make.donation(giver, 500, kind=DonationKind.IN_KIND), settings)
    assert services.needs_receipt(make.donation(giver, 500, kind=DonationKind.WAIVED_REIMBURSEMENT),
                                  settings)
    small = make.donation(giver, 2000)
    note = services.simplified_proof_note(db.session, small, settings=settings, language="de")
    assert "bis 300,00\xa0€" in note and "Kontoauszug" in note and "§ 50 Abs. 4 EStDV" in note
    assert "27/640/12345" in note and "nicht um einen Mitgliedsbeitrag" in note
    assert services.simplified_proof_note(db.session, make.donation(giver, 50000),
                                          settings=settings, language="de") is None


def test_a_donor_reaches_their_receipts_through_a_signed_link(app, client):
    giver, other = make.donor(), make.donor("Max Muster", email="max@example.org")
    mine = issue([make.donation(giver, 50000)])
    theirs = issue([make.donation(other, 60000)])
    token = services.receipts_token(app_settings(), giver)
    page = client.get(f"/receipts/{token}")
    assert page.status_code == 200 and mine.number in page.text and theirs.number not in page.text
    pdf = client.get(f"/receipts/{token}/{mine.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == mine.pdf_sha256
    assert client.get(f"/receipts/{token}/{theirs.id}.pdf").status_code == 404
    assert client.get(f"/receipts/{token[:-2]}xx").status_code == 404


def test_a_merged_donors_receipts_stay_as_issued_and_are_found_under_the_donor_they_became(app):
    from backoffice.donations import donors

    old, new = make.donor("Erika M."), make.donor("Erika Mustermann", email="e.m@example.org")
    receipt = issue([make.donation(old, 50000)])
    with transaction():
        donors.merge(db.session, new, old, actor=None)
    assert [r.number for r in services.receipts_of(db.session, new)] == [receipt.number]
    assert receipt.donor_name == "Erika M."  # never changed
    token = services.receipts_token(app_settings(), old)  # an old link leads to the new donor
    assert services.donor_for_token(db.session, app_settings(), token).id == new.id
    later = issue([make.donation(new, 60000, date(2026, 5, 1))])
    assert later.donor_id == new.id
