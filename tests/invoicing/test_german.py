"""Invoicing in German (issue 18): a German visitor reads the pages, their messages and refusals
in German; the sponsor's mails and PDF are in the sponsor's language, whoever sends them."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from pypdf import PdfReader

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services

from ..helpers import form_tokens, login
from . import factories

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


def _page(client, path: str, headers: dict | None = None) -> str:
    response = client.get(path, headers=headers or {})
    assert response.status_code == 200, path
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_a_german_visitor_reads_the_invoice_list_in_german(client, users):
    today = clock.today()
    factories.issued(issue_date=today - timedelta(days=60))  # overdue
    factories.issued(issue_date=today)
    draft = factories.draft(factories.sponsor("NL"))
    login(client, "treasurer")
    page = _page(client, "/invoices", GERMAN)
    assert f">Entwurf #{draft.id}</a>" in page and f">Draft #{draft.id}</a>" in _page(client,
                                                                                   "/invoices")
    for german in ("<h1 class=\"page-title\">Rechnungen</h1>", "Neue Rechnung",
                   "Offen (2)", "Überfällig (1)", "Eingegangen in diesem Jahr",
                   "Nummer, Sponsor oder Verwendungszweck", ">Überfällig</span>",
                   ">Offen</span>", "Offene Posten nach Alter", ">Pakete</a>", 'placeholder="Suchen"'):
        assert german in page, german
    for english in ("Sponsor invoices, newest first", "New invoice", "Open (2)",
                    "Received this year", ">Overdue</span>", "Receivables aging"):
        assert english not in page, english
    assert "Open (2)" in _page(client, "/invoices")  # without Accept-Language: English
    start = _page(client, "/", GERMAN)  # the start page lists the waiting work in German
    assert "Überfällige Rechnungen" in start and "Rechnungsentwürfe, noch nicht gestellt" in start
    assert "Overdue invoices" in _page(client, "/")


def test_a_german_visitor_reads_an_invoice_page_in_german(client, users):
    invoice = factories.issued(factories.sponsor("NL"))  # an English-speaking sponsor
    with transaction():
        services.record_payment(db.session, invoice, amount=Money(100000, "EUR"), reference="b1",
                                received_on=clock.today(), method="bank", debit_role="bank")
    login(client, "treasurer")
    page = _page(client, f"/invoices/{invoice.id}", GERMAN)
    for german in (f"Rechnung {invoice.number}", "Teilweise bezahlt", "Zahlungen", "Überweisung",
                   "Per E-Mail senden", "Diese Rechnung stornieren", "Stornorechnung stellen",
                   "Einzelpreis", "Verwendungs\u00adzweck", "Zahlungslink", "Reverse Charge (EU)",
                   "<dd class=\"col-7\">Englisch</dd>", "(30 Tage)", "19 % USt<"):
        assert german in page, german
    for english in ("Send by email", "Cancel this invoice", "Payments", "Bank transfer",
                    "Partially paid", "(30 days)", "Unit price"):
        assert english not in page, english


def test_the_other_invoicing_pages_in_german(client, users):
    invoice = factories.issued(issue_date=clock.today() - timedelta(days=45))
    login(client, "treasurer")
    expected = {"/invoices/aging": ("Offene Posten nach Alter", "31–60 Tage", "Tage überfällig"),
                "/sponsors": ("Neuer Sponsor", "Deutsch", "Unternehmen, die unsere"),
                f"/sponsors/{invoice.sponsor_id}": ("Guthaben", "Noch keine Zahlungen.",
                                                    "E-Mail für Rechnungen"),
                "/packages": ("Sponsoring-Pakete", "Neues Paket", "Noch keine Pakete."),
                "/invoices/new": ("Entwurf speichern", "Sponsor wählen", "Zahlungsziel (Tage)",
                                  'aria-label="Paket, Position 1"')}
    for path, germans in expected.items():
        page = _page(client, path, GERMAN)
        for german in germans:
            assert german in page, (path, german)


def test_a_refusal_and_a_message_reach_a_german_visitor_in_german(client, users):
    invoice = factories.issued(factories.sponsor("DE", billing_emails=""))
    login(client, "treasurer")
    tokens = form_tokens(client, f"/invoices/{invoice.id}")
    answer = client.post(f"/invoices/{invoice.id}/send", data=tokens, headers=GERMAN,
                         follow_redirects=True)
    page = re.sub(r"\s+", " ", answer.get_data(as_text=True))
    assert "Für Beispiel Software GmbH ist keine E-Mail-Adresse für Rechnungen hinterlegt" in page
    answer = client.get(f"/invoices/{invoice.id}/edit", headers=GERMAN, follow_redirects=True)
    assert f"Die Rechnung {invoice.number} ist gestellt und kann nicht mehr geändert werden." \
        in answer.get_data(as_text=True)


def _sent(client, invoice, mailbox, headers: dict) -> tuple[str, str]:
    tokens = form_tokens(client, f"/invoices/{invoice.id}")
    before = len(mailbox)
    answer = client.post(f"/invoices/{invoice.id}/send", data=tokens, headers=headers)
    assert answer.status_code == 302 and len(mailbox) == before + 1
    message = mailbox[-1]
    body = message.get_body(preferencelist=("plain",)).get_content()
    return message["Subject"], body.replace("\r\n", "\n")


def test_the_invoice_mail_is_in_the_sponsors_language_whoever_sends_it(client, users, mailbox):
    german = factories.issued(factories.sponsor("DE"))
    english = factories.issued(factories.sponsor("NL"))
    login(client, "treasurer")
    subject, body = _sent(client, german, mailbox, {"Accept-Language": "en"})
    assert subject.startswith(f"Rechnung {german.number} von ")
    assert body.startswith("Guten Tag Beispiel Software GmbH,\n\nanbei erhalten Sie unsere "
                           f"Rechnung {german.number} vom ")
    assert "Vielen Dank für Ihre Unterstützung!" in body and "Dear" not in body
    subject, body = _sent(client, english, mailbox, GERMAN)
    assert subject.startswith(f"Invoice {english.number} from ")
    assert body.startswith("Dear Voorbeeld B.V.,\n\nplease find attached our invoice")
    assert "Guten Tag" not in body
    flash = _page(client, f"/invoices/{english.id}", GERMAN)
    assert f"Die Rechnung {english.number} ist an ap@sponsor.example verschickt." in flash


def test_the_german_invoice_pdf_reads_in_german(client, users):
    invoice = factories.issued(factories.sponsor("DE"))
    pdf = services.stored_pdf(db.session, invoice, settings=app_settings())
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    for german in (f"Rechnung {invoice.number}", "Rechnungsnummer", "Rechnungsdatum",
                   "Leistungsdatum", "Fällig am", "Ihre USt-IdNr.", "Verwendungszweck",
                   "BESCHREIBUNG", "EINZELPREIS", "Summe netto", "USt. 19 % auf 5.000,00 €",
                   "Rechnungsbetrag 5.950,00 €", "Bitte überweisen Sie 5.950,00 €",
                   "Kontoinhaber", "Registereintrag: ", "Zahlungsbedingungen: 30 Tage netto ohne Abzug.",
                   "Vielen Dank, dass Sie unsere Community unterstützen."):
        assert german in text, german
    for english in ("invoice", "due date", "total", "please pay", "thank you"):
        assert english not in text.casefold(), english
