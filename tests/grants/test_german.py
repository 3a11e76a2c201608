"""Grants in German: the public pages, the application form, a committee page, the applicant's
mail and the award letter, for a reader who asks for German (docs/I18N.md)."""
from __future__ import annotations

import dataclasses
import io

from pypdf import PdfReader

from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.grants import deciding, notify
from backoffice.grants.letters import award_letter_pdf
from backoffice.grants.models import Status

from ..helpers import login
from .conftest import eur, make_application

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


def _german_settings():
    settings = app_settings()
    return dataclasses.replace(settings, organisation=dataclasses.replace(
        settings.organisation, default_locale="de_DE"))


def test_a_german_visitor_reads_the_programme_list_in_german(client, grants):
    html = client.get("/grants/", headers=GERMAN).get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "Förderungen für lokale Gruppen und Projekte" in html
    assert "Bis zu <strong>2.000,00\xa0€</strong> je Förderung" in html
    assert "Mehr erfahren" in html and "Antrag stellen" in html
    assert "Schon einen Antrag begonnen?" in html
    for english in ("Grants for local groups", "Up to", "per grant", "Read more",
                    "Started an application already?"):
        assert english not in html
    # The public pages keep the EN/DE switch (their header replaces the back office's bar).
    assert 'class="inline language-switch' in html and 'value="en_IE"' in html


def test_a_german_visitor_reads_the_application_form_in_german(client, grants):
    with transaction():
        grants.programme.rules = "- **Open to all**\n- Receipts for every item"
        grants.programme.min_lead_days = 14
    html = client.get("/grants/p/community/apply", headers=GERMAN).get_data(as_text=True)
    for german in ("Wer beantragt", "Budget und Finanzierung",
                   "Zahlung und Unterlagen", "Ansprechperson", "Antrag einreichen",
                   "Entwurf speichern", "Bevor Sie beginnen",
                   "Stellen Sie den Antrag mindestens 14 Tage vor der Veranstaltung.",
                   'placeholder="z. B. Raummiete"', 'placeholder="0,00"',
                   'aria-label="Betrag von Posten 1"', 'data-locale="de_DE"'):
        assert german in html, german
    for english in ("Who applies", "Budget and funding", "Contact person", "Submit application",
                    "Save draft", "Before you start", "e.g. Venue hire"):
        assert english not in html, english
    # The programme's rules stay Markdown, rendered.
    assert "<strong>Open to all</strong>" in html
    assert 'class="inline language-switch' in html


def test_a_german_applicant_is_refused_in_german(client, grants):
    response = client.post("/grants/p/community/apply", headers=GERMAN,
                           data={"contact_email": "not an address", "save": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Geben Sie eine gültige E-Mail-Adresse ein." in html
    assert "Enter a valid email address." not in html


def test_the_committee_reads_its_queue_and_an_application_in_german(client, grants):
    application = make_application(grants, Status.IN_REVIEW)
    login(client, Role.REVIEWER)
    queue = client.get("/grants/queue", headers=GERMAN).get_data(as_text=True)
    assert "Förderanträge" in queue and "1 Antrag wartet auf das Gremium" in queue
    assert "In Prüfung" in queue and "In review" not in queue
    page = client.get(f"/grants/applications/{application.id}",
                      headers=GERMAN).get_data(as_text=True)
    assert "Gremium" in page and "Eingereicht → In Prüfung" in page
    assert "Start the review" not in page and "History" not in page


def test_a_refusal_names_the_programme_in_both_languages(grants):
    facts = deciding.ApprovalFacts(
        amount=eur(100), currency="EUR", requested=None, programme="Community grants",
        max_per_grant=100000, votes=deciding.Tally(2, 0, 0, 2), board=None, overdue=None,
        year=2026, budget=None, awarded=0, fund="GRANTS", available=eur(1000))
    assert str(deciding.approval_refusal(facts)) == \
        "The programme “Community grants” has no budget for 2026."


def test_the_applicants_mail_is_german_where_the_association_writes_german(grants, mailbox):
    application = make_application(grants, Status.APPROVED, amount=eur(812.5))
    mailbox.clear()
    with transaction():
        notify.applicant_mail(db.session, application, "approved", settings=_german_settings())
    (message,) = mailbox
    body = message.get_body().get_content().replace("\r\n", "\n")
    assert message["Subject"] == f"Ihre Förderung {application.reference} ist bewilligt"
    assert body.startswith("Guten Tag Grace Hopper,\n\ngute Nachrichten: Das Gremium hat für "
                           f"{application.reference} „Workshop for beginners“ eine Förderung "
                           "von 812,50\xa0€ bewilligt.")
    assert "Mit freundlichen Grüßen\ndas Fördergremium von" in body
    assert "Kind regards" not in body and "Your application" not in body


def test_the_award_letter_rendered_in_german_is_german(grants):
    application = make_application(grants, Status.APPROVED, amount=eur(600))
    pdf = award_letter_pdf(application, _german_settings())
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for german in ("Bewilligungsbescheid", "Bewilligter Betrag", "600,00", "Auflagen",
                   "Abschlussbericht", "Mit freundlichen Grüßen", "Fördergremium",
                   "aus dem Programm „Community grants programme“",
                   application.report_due_on.isoformat()):
        assert german in text, german
    for english in ("Award letter", "Amount awarded", "Conditions", "Kind regards",
                    "Reporting back", "has awarded"):
        assert english not in text, english
