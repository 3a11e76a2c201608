"""Donations in German (issue 18): a German visitor reads the donation page and the treasurer's
pages in German, the public pages offer the language switch, and a donor whose language is German
hears from us in German (the thank-you mail, the mail that their plan ended)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.donations import manual, notify
from backoffice.donations.models import Channel, Language
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..helpers import csrf_token, login
from . import receipt_factories as make
from .test_plan_cancel import monthly_plan
from .test_thanks import a_donor, body, mails_to

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


def assert_reads(html: str, german: tuple[str, ...], english: tuple[str, ...]) -> None:
    """Each German text is on the page, none of the English ones."""
    assert [text for text in german if text not in html] == []
    assert [text for text in english if text in html] == []


def test_a_german_visitor_reads_the_donation_page_in_german(client, page):
    html = client.get("/donate/pylb", headers=GERMAN).get_data(as_text=True)
    assert 'lang="de"' in html
    assert_reads(html, ("Spenden für PyLadies Berlin", "Ihre Spende", "Über Sie", "Wie oft",
                        "Monatlich", "Weiter zur Zahlung", "Sichere Spendenseite", "25,00"),
                 ("Donate to", "Your gift", "About you", "How often", "Continue to payment",
                  "Secure payment page"))
    assert '<option selected value="de">' in html  # the mails will be German too


def test_the_donation_page_keeps_english_without_a_browser_language_and_offers_the_switch(
        client, page):
    html = client.get("/donate/pylb").get_data(as_text=True)
    assert 'lang="en"' in html and "Donate to PyLadies Berlin" in html
    assert 'action="/language"' in html and 'value="de_DE"' in html
    answer = client.post("/language", data={"locale": "de_DE", "next": "/donate/pylb",
                                            "csrf_token": csrf_token(client, "/donate/pylb")})
    assert answer.status_code == 303 and answer.headers["Location"] == "/donate/pylb"
    assert "Spenden für PyLadies Berlin" in client.get("/donate/pylb").get_data(as_text=True)


def test_a_german_treasurer_reads_the_donations_list_in_german(client, users, session, fund,
                                                               donor):
    with transaction():
        manual.record_by_hand(session, donor=donor, fund=fund, amount=Money(2500, "EUR"),
                              day=date(2026, 3, 1), channel=Channel.CHEQUE, actor=None)
    login(client, Role.TREASURER)
    html = client.get("/donations", headers=GERMAN).get_data(as_text=True)
    assert_reads(html, ("Spender:innen", "Regelmäßige Spenden", "Eingangsweg", "Gebucht:",
                        "in 1 Spende", "Scheck", "Nach Fonds und Monat", "25,00"),
                 ("Recurring plans", "Channel", "Booked:", "in 1 donation", "Cheque",
                  "Per fund and month"))
    donors_page = client.get("/donations/donors", headers=GERMAN).get_data(as_text=True)
    assert "Letzte Spende" in donors_page and "Last gift" not in donors_page
    csv = client.get("/donations?format=csv", headers=GERMAN).get_data(as_text=True)
    assert csv.splitlines()[0].lstrip("\ufeff").split(",")[:5] == [
        "Datum", "Spende", "Spender:in", "Fonds", "Eingangsweg"]
    assert "Scheck" in csv and "Gebucht" in csv


def test_a_german_donor_is_thanked_in_german(session, fund):
    giver = a_donor(session, language=Language.DE)
    with transaction():
        donation = manual.record_by_hand(session, donor=giver, fund=fund,
                                         amount=Money(5000, "EUR"), day=date(2026, 3, 1),
                                         channel=Channel.CASH, actor=None)
    [mail] = mails_to("erika@example.org")
    assert mail.subject == f"Vielen Dank für Ihre Spende ({donation.ref})"
    text = body(mail)
    assert text.startswith("Guten Tag Erika Mustermann,") and "herzlichen Dank" in text
    assert "in bar" in text and "50,00\xa0€" in text
    assert "Thank you" not in text and "We received" not in text


def test_a_german_donor_hears_in_german_that_their_plan_ended(client, stripe, page):
    plan = monthly_plan(client, stripe, page)
    with transaction():
        plan.donor.language = Language.DE
        notify.plan_cancelled(db.session, plan, app_settings())
    mail = mails_to(plan.donor.email)[-1]
    assert mail.subject == "Ihre monatliche Spende ist beendet"
    text = body(mail)
    assert "Ihre monatliche Spende von 15,00\xa0€ für PyLadies Berlin ist beendet" in text
    assert "Hallo " in text and "nothing more" not in text


def test_a_german_donor_finds_their_receipts_in_german_until_they_switch(app, client):
    from backoffice.donations.receipts import services
    giver = make.donor()
    with transaction():
        giver.language = Language.DE
    token = services.receipts_token(app_settings(), giver)
    html = client.get(f"/receipts/{token}").get_data(as_text=True)
    assert "Ihre Zuwendungsbestätigungen" in html and 'lang="de"' in html
    client.post("/language", data={"locale": "en_IE", "next": f"/receipts/{token}",
                                   "csrf_token": csrf_token(client, f"/receipts/{token}")})
    assert "Your donation receipts" in client.get(f"/receipts/{token}").get_data(as_text=True)
    assert db.session.scalar(select(type(giver).language).where(
        type(giver).id == giver.id)) is Language.DE


def test_a_receipt_mail_is_in_its_donors_language_from_one_template(app):
    from .test_receipts import issue
    for language, subject, greeting in (("de", "Ihre Zuwendungsbestätigung", "Guten Tag"),
                                        ("en", "Your donation receipt", "Dear")):
        giver = make.donor(email=f"{language}@example.org", language=language)
        receipt = issue([make.donation(giver, 50000)], send=True)
        [mail] = mails_to(f"{language}@example.org")
        assert mail.subject == f"{subject} {receipt.number}"
        assert body(mail).startswith(f"{greeting} Erika Mustermann,")


def test_the_year_end_run_reports_in_the_language_of_whoever_started_it(app, users):
    from backoffice.core import jobs
    from backoffice.donations.receipts import run

    from .test_receipt_run import DAY, givers
    givers(2)
    make.donation(make.donor("Ohne Adresse", email=None, address=False), 50000, date(2026, 5, 1))
    with transaction():
        job = run.start(db.session, 2026, send=True, actor=users[Role.TREASURER],
                        settings=app_settings(), issue_date=DAY, locale="de_DE")
    db.session.expire_all()
    assert job.state == jobs.DONE
    notes = [text for _, text in job.result["notes"]]
    assert notes[0] == "2 Zuwendungsbestätigungen für 2026 ausgestellt, 2 gemailt."
    assert any("keine Postanschrift erfasst" in note for note in notes)
