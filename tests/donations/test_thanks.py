"""The donor hears of a booked gift: once, after the commit, in their language, by every channel;
thanks only with their consent (an online payment is confirmed regardless); the simplified-proof
note on what to keep for gifts up to the limit that get no receipt."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.outbox import OutboxMail
from backoffice.core.queue import running_with
from backoffice.donations import booking, donors, manual, notify
from backoffice.donations.models import Channel, Donation, DonationKind, InKindOrigin, Language
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from .. import stripe_standin as sis
from ..concurrency import at_once
from . import receipt_factories as make
from .test_webhooks import give, post

DAY = date(2026, 3, 1)


def mails_to(address: str) -> list[OutboxMail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMail).where(OutboxMail.recipients == address)
                                   .order_by(OutboxMail.id)))


def body(mail: OutboxMail) -> str:
    from email import message_from_bytes, policy
    return message_from_bytes(mail.message, policy=policy.default).get_body().get_content()


def a_donor(session, email="erika@example.org", language=Language.DE, thanks=True):
    with transaction():
        return donors.find_or_create(session, donors.DonorDetails(
            name="Erika Mustermann", email=email, street="Heidestraße 17", postcode="51147",
            city="Köln", country="DE", language=language, consent_thanks=thanks))


def by_hand(session, giver, fund, cents, **kwargs):
    with transaction():
        return manual.record_by_hand(session, donor=giver, fund=fund, amount=Money(cents, "EUR"),
                                     day=DAY, channel=Channel.CASH, actor=None, **kwargs)


def test_a_small_gift_without_a_receipt_is_thanked_in_german_with_what_to_keep(session, fund):
    giver = a_donor(session)
    donation = by_hand(session, giver, fund, 5000)
    [mail] = mails_to("erika@example.org")
    assert mail.subject == f"Vielen Dank für Ihre Spende ({donation.ref})"
    text = body(mail)
    assert "50,00\xa0€" in text and "PyLadies Berlin" in text and "01.03.2026" in text
    assert "§ 50 Abs. 4 EStDV" in text and "Kontoauszug" in text
    assert "Finanzamt für Körperschaften I Berlin" in text and "27/640/12345" in text
    assert "Zuwendungsbestätigung, wie" not in text
    db.session.refresh(donation)
    assert donation.thanked_at is not None


def test_a_gift_at_the_limit_gets_the_note_and_one_above_it_a_receipt(session, fund):
    giver = a_donor(session, language=Language.EN)
    by_hand(session, giver, fund, 30000)
    by_hand(session, giver, fund, 30001)
    at_limit, above = mails_to("erika@example.org")
    assert "§ 50 Abs. 4 EStDV" in body(at_limit) and "Please keep both" in body(at_limit)
    assert at_limit.subject.startswith("Thank you for your donation")
    assert "§ 50" not in body(above)
    assert "donation receipt (Zuwendungsbestätigung) for it with the year's other gifts" in \
        body(above)


def test_a_receipt_asked_for_replaces_the_note(session, fund):
    giver = a_donor(session, language=Language.EN)
    by_hand(session, giver, fund, 2000, receipt_wanted=True)
    [mail] = mails_to("erika@example.org")
    assert "as you asked" in body(mail) and "§ 50" not in body(mail)


def test_a_membership_fee_and_a_gift_in_kind_are_named_as_what_they_are(session, fund):
    giver = a_donor(session)
    by_hand(session, giver, fund, 6000, kind=DonationKind.MEMBERSHIP_FEE)
    with transaction():
        manual.record_in_kind(
            session, donor=giver, fund=fund, value=Money(25000, "EUR"), day=DAY,
            in_kind=booking.InKind("Catering für 40 Personen", "Rechnung 2026-113",
                                   InKindOrigin.BUSINESS, account_code="5110"), actor=None)
    fee, in_kind = mails_to("erika@example.org")
    assert fee.subject.startswith("Vielen Dank für Ihren Mitgliedsbeitrag")
    assert "einen Mitgliedsbeitrag" in body(fee)  # the simplified proof says what it is
    assert in_kind.subject.startswith("Vielen Dank für Ihre Sachspende")
    assert "Catering für 40 Personen" in body(in_kind) and "§ 50" not in body(in_kind)
    assert "Zuwendungsbestätigung" in body(in_kind)  # gifts in kind always get a receipt


def test_a_donor_who_declined_thanks_gets_no_mail_for_cash(session, fund):
    giver = a_donor(session, thanks=False)
    donation = by_hand(session, giver, fund, 5000)
    assert mails_to("erika@example.org") == []
    db.session.refresh(donation)
    assert donation.thanked_at is not None  # decided once: a later run sends nothing either


def test_a_donor_without_an_address_is_told_nothing(session, fund):
    with transaction():
        giver = donors.find_or_create(session, donors.DonorDetails(name="Anonymous"))
    donation = by_hand(session, giver, fund, 5000)
    assert db.session.scalars(select(OutboxMail)).all() == []
    assert notify.thank(session, donation.id, settings=app_settings()).mail is None


def test_an_online_gift_is_mailed_once_however_often_stripe_reports_it(client, stripe, page):
    row, completed = give(page, stripe)
    done = sis.event("checkout.session.completed", completed)
    post(client, done)
    post(client, done)
    post(client, sis.event("checkout.session.async_payment_succeeded", completed))
    [mail] = mails_to("ada@example.org")
    donation = db.session.scalar(select(Donation))
    assert mail.subject == f"Thank you for your donation ({donation.ref})"
    assert "50.00" in body(mail) and "online" in body(mail) and "as you asked" in body(mail)
    assert notify.thank(db.session, donation.id, settings=app_settings()).mail is None
    db.session.rollback()


def test_an_online_payment_is_confirmed_without_thanks_when_the_donor_declined(client, stripe,
                                                                              page):
    with transaction():
        donors.find_or_create(db.session, donors.DonorDetails(
            name="Ada Lovelace", email="ada@example.org", consent_thanks=False))
    row, completed = give(page, stripe)
    post(client, sis.event("checkout.session.completed", completed))
    [mail] = mails_to("ada@example.org")
    assert mail.subject.startswith("Your donation is confirmed")
    assert "thank" not in body(mail).lower()


def test_a_direct_debit_is_told_when_it_is_booked_not_before(client, stripe, page):
    row, completed = give(page, stripe, method="sepa_debit")
    post(client, sis.event("checkout.session.completed", completed))
    assert mails_to("ada@example.org") == []
    succeeded = sis.event("checkout.session.async_payment_succeeded",
                          dict(completed, payment_status="paid"))
    post(client, succeeded)
    post(client, succeeded)
    assert len(mails_to("ada@example.org")) == 1


def test_each_monthly_payment_is_confirmed_once_with_the_link_to_end_the_plan(client, stripe,
                                                                              page):
    from backoffice.donations.models import PlanInterval
    row, completed = give(page, stripe, amount=1500, interval=PlanInterval.MONTH)
    post(client, sis.event("checkout.session.completed", completed))
    sub = completed["subscription"]
    first, second = stripe.pay_invoice(sub), stripe.pay_invoice(sub)
    for invoice in (first, second, second):
        post(client, sis.event("invoice.paid", invoice))
    mails = mails_to("ada@example.org")
    assert len(mails) == 2
    assert "Your monthly donation continues until you end it" in body(mails[1])
    assert "/plan/" in body(mails[1]).split("here:")[1]


def test_two_workers_telling_one_gift_at_once_send_one_mail(app):
    giver = make.donor(email="twice@example.org")
    donation_id = make.donation(giver, 5000).id
    settings = app_settings()
    db.session.remove()

    def tell(session):
        with transaction(session):
            return notify.thank(session, donation_id, settings=settings).mail

    outcome = at_once(app, [tell, tell, tell])
    assert sorted(map(str, outcome)) == ["None", "None", "thanks"]
    assert len(mails_to("twice@example.org")) == 1


def test_a_mail_that_fails_half_way_leaves_the_gift_untold_for_the_retry(app, monkeypatch):
    giver = make.donor(email="retry@example.org")
    donation = make.donation(giver, 5000)

    def crash(*args, **kwargs):
        raise RuntimeError("the template engine stopped half-way")

    monkeypatch.setattr(notify, "donation_mail", crash)
    with pytest.raises(RuntimeError), transaction():
        notify.thank(db.session, donation.id, settings=app_settings())
    db.session.refresh(donation)
    assert donation.thanked_at is None and mails_to("retry@example.org") == []
    monkeypatch.undo()
    with running_with(app.config, app_settings()):  # as the queue runs a job
        notify.thank_job(donation.id)
        notify.thank_job(donation.id)
    assert len(mails_to("retry@example.org")) == 1
