"""A German visitor reads the banking pages in German: the statement import (the upload form, the
summary of what came in, the CSV columns with their guesses and preview), the reconciliation queue
with its suggestions and htmx rows, and a bank line's history with an undone match."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from backoffice.banking.matching import shown_label, shown_reason
from backoffice.banking.models import BankLine, BankMatch
from backoffice.core.db import transaction
from backoffice.core.permissions import Role

from ..helpers import csrf_token, login
from .conftest import book, do_import, sample

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
HTMX = {"HX-Request": "true", **GERMAN}


def _upload(client, account, data: bytes, name: str):
    token = csrf_token(client, f"/bank/accounts/{account.id}")
    return client.post(f"/bank/accounts/{account.id}/import", headers=GERMAN,
                       data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_the_statement_import_in_german(client, session, users, bank):
    login(client, Role.TREASURER)
    page = client.get(f"/bank/accounts/{bank.id}", headers=GERMAN).get_data(as_text=True)
    assert "Kontoauszug importieren: CAMT.053 (XML)" in page
    assert "CSV-Spalten neu zuordnen" in page and ">Importieren</button>" in page
    assert "Laut Bank" in page and "Noch kein Kontoauszug importiert." in page
    assert "Import a statement" not in page and "Per books" not in page

    response = _upload(client, bank, sample("camt053-v02-two-statements.xml"), "maerz.xml")
    queue = client.get(response.location, headers=GERMAN).get_data(as_text=True)
    assert "maerz.xml importiert (CAMT.053 (XML), 2 Kontoauszüge): 5 neue Umsätze." in queue
    again = client.get(_upload(client, bank, sample("camt053-v02-two-statements.xml"),
                               "maerz.xml").location, headers=GERMAN).get_data(as_text=True)
    assert "maerz.xml wurde bereits am " in again
    assert "5 Umsätze, alle schon bekannt. Nichts wurde hinzugefügt." in again
    assert "Kontoauszüge" in again and "lückenlos" in again  # the statements, continuous

    broken = _upload(client, bank, sample("camt053-v02-two-statements.xml")[:1500], "kaputt.xml")
    refused = client.get(broken.location, headers=GERMAN).get_data(as_text=True)
    assert re.search(r"kaputt.xml wurde nicht importiert: Zeile \d+, Spalte \d+: das XML ist nicht "
                     r"wohlgeformt \(.*\)\. Nichts wurde gespeichert\.", refused)


def test_the_csv_columns_page_in_german(client, session, users, bank):
    login(client, Role.TREASURER)
    response = _upload(client, bank, sample("csv-sparkasse-cp1252.csv"), "umsaetze.csv")
    form = client.get(response.location, headers=GERMAN).get_data(as_text=True)
    assert "CSV-Spalten von Current account" in form
    assert "Die ersten Zeilen der Datei" in form
    assert re.search(r"Aus den Spaltennamen erraten: \d+ Spalten\. Prüfen Sie sie", form)
    assert "Trennzeichen" in form and "Semikolon ;" in form and "Buchungsdatum" in form
    assert "Zuordnung speichern und importieren" in form
    assert "Guessed from the column names" not in form and "Delimiter" not in form


def test_a_refused_csv_says_why_in_german(client, session, users, bank):
    """The parser's refusal, with the row and column it gave up at, is German too."""
    login(client, Role.TREASURER)
    response = _upload(client, bank, sample("csv-sparkasse-cp1252.csv"), "umsaetze.csv")
    token = csrf_token(client, response.location)
    pending = re.search(r"pending=([0-9a-f]+)", response.location).group(1)
    refused = client.post(response.location, headers=GERMAN, data={
        "csrf_token": token, "pending": pending, "delimiter": ";", "encoding": "cp1252",
        "skip_rows": "0", "date": "Buchungstag", "date_format": "%Y-%m-%d", "amount": "Betrag",
        "decimal_comma": "y", "counterparty": "", "iban": "", "text": "", "submit": "Save",
        "value_date": "", "debit": "", "credit": "", "reference": ""})
    assert refused.status_code == 302, refused.status_code
    page = client.get(refused.location, headers=GERMAN).get_data(as_text=True)
    assert re.search(r"umsaetze.csv wurde nicht importiert: Zeile \d+: &#39;[0-9.]+&#39; in Spalte "
                     r"&#39;Buchungstag&#39; ist kein Datum wie 2026-12-31\. Nichts wurde "
                     r"gespeichert\.", page)


def test_the_reconciliation_queue_in_german(client, session, users, bank, treasurer):
    with transaction():
        book(session, treasurer, date(2026, 3, 1), 100000, "Opening")
        receipt = book(session, treasurer, date(2026, 3, 2), 250000, "Sponsoring ACME")
    do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer)
    login(client, Role.TREASURER)
    queue = client.get(f"/bank/accounts/{bank.id}/reconcile", headers=GERMAN).get_data(as_text=True)
    assert "Current account abgleichen" in queue
    assert "5 Umsätze zu klären, neueste zuerst." in queue
    assert "gleicher Betrag, gleicher Tag" in queue  # a suggestion's reason
    assert "Kein Vorschlag: Buchen Sie den Umsatz" in queue
    assert "Als Buchung erfassen…" in queue and "Aufteilen oder suchen…" in queue
    assert "Tasten: <kbd>↓</kbd>/<kbd>j</kbd> nächster Umsatz" in queue
    assert '<div class="s-reason">same' not in queue and "bank lines to explain" not in queue
    # The reason a match stores stays English (a record), whoever accepted it.
    assert 'name="reason" value="same amount, same day"' in queue

    token = csrf_token(client, f"/bank/accounts/{bank.id}/reconcile")
    acme = session.scalar(select(BankLine).where(BankLine.amount == 250000))
    form = client.get(f"/bank/lines/{acme.id}/book-form", headers=HTMX).get_data(as_text=True)
    assert ">Buchen</button>" in form and "Konto wählen" in form
    row = client.post(f"/bank/lines/{acme.id}/accept", headers=HTMX,  # as the form sends it
                      data={"csrf_token": token, "item": f"posting:{receipt.id}",
                            "reason": "same amount, same day"})
    html = row.get_data(as_text=True)
    assert "Zugeordnet." in html and ">Rückgängig</button>" in html and "Matched." not in html
    match = session.scalar(select(BankMatch).where(BankMatch.how == "manual"))
    undone = client.post(f"/bank/matches/{match.id}/undo", headers=HTMX,
                         data={"csrf_token": token}).get_data(as_text=True)
    assert "Rückgängig gemacht." in undone

    history = client.get(f"/bank/lines/{acme.id}", headers=GERMAN).get_data(as_text=True)
    assert "Was die Bank meldet" in history and "Zuordnungen" in history
    assert 'data-testid="undone-note">Rückgängig gemacht am ' in history
    assert "von Hand: gleicher Betrag, gleicher Tag" in history and "Zugeordnet am " in history
    english = client.get(f"/bank/lines/{acme.id}").get_data(as_text=True)
    assert "by hand: same amount, same day" in english  # as stored
    assert "Undone" not in history and "What the bank says" not in history


@pytest.mark.parametrize("stored, german", [
    ("invoice 2026-00042 in the reference; same amount",
     "Rechnung 2026-00042 im Verwendungszweck; gleicher Betrag"),
    ("amount and IBAN match sponsor ACME GmbH", "Betrag und IBAN passen zu Sponsor ACME GmbH"),
    ("payout batch MSG-7 + invoice RE-1 in the reference; together the same amount",
     "Auszahlungslauf MSG-7 + Rechnung RE-1 im Verwendungszweck; zusammen der gleiche Betrag"),
    ("name Lena Fischer in the booked entry, 3 days apart",
     "Name Lena Fischer steht in: Buchung, 3 Tage Abstand"),
    ("booked entry RTD-88121 in the reference; part of what is open; 2 more alike, accepting "
     "takes this one", "Buchung RTD-88121 im Verwendungszweck; Teil des offenen Betrags; 2 weitere "
                       "gleichartige Posten, Annehmen nimmt diesen"),
    ("rule Fees", "Regel Fees"),
    ("Stripe payout po_1QxY in the reference", "Stripe-Auszahlung po_1QxY im Verwendungszweck"),
    ("a note nobody wrote by the matcher", "a note nobody wrote by the matcher"),
])
def test_a_stored_reason_reads_german(app, stored, german):
    """A match stores its reason in English; a German reader sees it in German (a text the
    matcher did not write stays as it is)."""
    with app.test_request_context(headers=GERMAN):
        assert shown_reason(stored) == german


@pytest.mark.parametrize("stored, german", [
    ("Invoice 2026-00042 to ACME GmbH", "Rechnung 2026-00042 an ACME GmbH"),
    ("Payout batch BO-2026-7: 3 transfers", "Auszahlungslauf BO-2026-7: 3 Überweisungen"),
    ("Transfer BO-7-1 to Lena Fischer (ACME) (batch BO-7)",
     "Überweisung BO-7-1 an Lena Fischer (ACME) (Lauf BO-7)"),
    ("Stripe payout po_1QxY7z2eZvKYlo2C", "Stripe-Auszahlung po_1QxY7z2eZvKYlo2C"),
    ("#2 Gold sponsorship ACME → 4900 Other income (GEN)",
     "#2 Gold sponsorship ACME → 4900 Other income (GEN)"),
])
def test_an_items_label_reads_german(app, stored, german):
    """An item's label is stored in English; a German reader sees the provider's words in German
    (a booked entry's label is the entry's own description, left as it is)."""
    with app.test_request_context(headers=GERMAN):
        assert shown_label(stored) == german
