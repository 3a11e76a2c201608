"""The banking pages over HTTP: access, upload, the htmx row actions, the CSV mapping flow."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from backoffice.banking.models import BankLine, BankMatch, BankRule
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.ledger import services as ledger

from ..helpers import csrf_token, login
from .conftest import book, do_import, sample

HTMX = {"HX-Request": "true"}


def upload(client, account, data: bytes, name: str, **extra):
    token = csrf_token(client, f"/bank/accounts/{account.id}")
    return client.post(f"/bank/accounts/{account.id}/import",
                       data={"csrf_token": token, "file": (io.BytesIO(data), name), **extra},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("role, status", [(Role.BOARD, 200), (Role.ORGANISER, 403),
                                          (Role.REVIEWER, 403)])
def test_who_sees_the_account_page(client, users, bank, role, status):
    login(client, role)
    assert client.get(f"/bank/accounts/{bank.id}").status_code == status
    assert client.get("/bank/").status_code == status


def test_board_reads_but_does_not_reconcile(client, users, bank):
    login(client, Role.BOARD)
    assert client.get(f"/bank/accounts/{bank.id}/reconcile").status_code == 403
    assert upload(client, bank, sample("camt053-v08-usd.xml"), "x.xml").status_code == 403


def test_upload_import_and_queue(client, session, users, bank):
    login(client, Role.TREASURER)
    response = upload(client, bank, sample("camt053-v02-two-statements.xml"), "march.xml")
    assert response.status_code == 302 and response.location.endswith(f"/bank/accounts/{bank.id}/reconcile")
    page = client.get(response.location).get_data(as_text=True)
    assert "march.xml imported (CAMT.053 (XML), 2 statements): 5 new lines." in page
    assert "5 bank lines to explain, newest first." in page
    assert page.index("Read the Docs Inc") < page.index("ACME Software GmbH")  # newest first
    again = client.get(upload(client, bank, sample("camt053-v02-two-statements.xml"),
                              "march.xml").location).get_data(as_text=True)
    assert "was already imported on " in again and "5 lines, all already known. Nothing was added." in again


def test_a_refused_upload_says_where_and_why(client, session, users, bank):
    login(client, Role.TREASURER)
    response = upload(client, bank, sample("camt053-v02-two-statements.xml")[:1500], "cut.xml")
    page = client.get(response.location).get_data(as_text=True)
    assert re.search(r"cut.xml was not imported: line \d+, column \d+: the XML is not "
                     r"well-formed \(.*\)\. Nothing was saved\.", page)
    assert session.scalar(select(BankLine)) is None


def test_forms_need_the_csrf_token(client, session, users, bank, treasurer):
    do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer)
    line = session.scalar(select(BankLine))
    login(client, Role.TREASURER)
    assert client.post(f"/bank/lines/{line.id}/accept", data={"item": "posting:1"},
                       headers=HTMX).status_code == 400


def test_accept_book_and_undo_swap_one_row(client, session, users, bank, treasurer):
    with transaction():
        book(session, treasurer, date(2026, 3, 1), 100000, "Opening")
        receipt = book(session, treasurer, date(2026, 3, 2), 250000, "Sponsoring ACME")
    do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer)
    login(client, Role.TREASURER)
    page = client.get(f"/bank/accounts/{bank.id}/reconcile").get_data(as_text=True)
    assert f'value="posting:{receipt.id}"' in page and "same amount, same day" in page
    token = csrf_token(client, f"/bank/accounts/{bank.id}/reconcile")
    acme = session.scalar(select(BankLine).where(BankLine.amount == 250000))

    row = client.post(f"/bank/lines/{acme.id}/accept", headers=HTMX,
                      data={"csrf_token": token, "item": f"posting:{receipt.id}"})
    html = row.get_data(as_text=True)
    assert row.status_code == 200 and html.lstrip().startswith('<div class="bank-line is-done"')
    assert "Matched." in html and "<html" not in html

    fee = session.scalar(select(BankLine).where(BankLine.amount == -1150))
    fees = ledger.account_by_role(session, "bank_fees")
    row = client.post(f"/bank/lines/{fee.id}/book", headers=HTMX, data={
        "csrf_token": token, "account": fees.id, "fund": ledger.general_fund(session).id,
        "description": "Account fee", "make_rule": "y"})
    assert "names no counterparty to recognise it by" in row.get_data(as_text=True)
    row = client.post(f"/bank/lines/{fee.id}/book", headers=HTMX, data={
        "csrf_token": token, "account": fees.id, "fund": ledger.general_fund(session).id,
        "description": "Account fee"})
    assert "Booked as entry #" in row.get_data(as_text=True)

    match = session.scalar(select(BankMatch).where(BankMatch.how == "entry"))
    row = client.post(f"/bank/matches/{match.id}/undo", headers=HTMX, data={"csrf_token": token})
    html = row.get_data(as_text=True)
    assert "reversed by #" in html and 'class="bank-line "' in html  # open again, offered again

    refused = client.post(f"/bank/lines/{acme.id}/accept", headers=HTMX,
                          data={"csrf_token": token, "item": f"posting:{receipt.id}"})
    assert "already matched" in refused.get_data(as_text=True)


def test_without_javascript_accept_redirects_back(client, session, users, bank, treasurer):
    with transaction():
        receipt = book(session, treasurer, date(2026, 3, 2), 250000, "Sponsoring ACME")
    do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer)
    login(client, Role.TREASURER)
    token = csrf_token(client, f"/bank/accounts/{bank.id}/reconcile")
    acme = session.scalar(select(BankLine).where(BankLine.amount == 250000))
    response = client.post(f"/bank/lines/{acme.id}/accept",
                           data={"csrf_token": token, "item": f"posting:{receipt.id}"})
    assert response.status_code == 302
    assert "Matched." in client.get(response.location).get_data(as_text=True)


def test_csv_upload_asks_for_the_columns_once(client, session, users, bank):
    login(client, Role.TREASURER)
    response = upload(client, bank, sample("csv-sparkasse-cp1252.csv"), "umsaetze.csv")
    assert "/csv-mapping?pending=" in response.location
    form = client.get(response.location).get_data(as_text=True)
    assert "Beguenstigter/Zahlungspflichtiger" in form and 'selected value="cp1252"' in form
    token = csrf_token(client, response.location)
    pending = re.search(r"pending=([0-9a-f]+)", response.location).group(1)
    saved = client.post(response.location, data={
        "csrf_token": token, "pending": pending, "delimiter": ";", "encoding": "cp1252",
        "skip_rows": "0", "date": "Buchungstag", "date_format": "%d.%m.%y", "amount": "Betrag",
        "decimal_comma": "y", "counterparty": "Beguenstigter/Zahlungspflichtiger",
        "iban": "Kontonummer/IBAN", "text": "Verwendungszweck", "submit": "Save",
        "value_date": "", "debit": "", "credit": "", "reference": ""})  # as a browser sends
    assert saved.status_code == 302, re.findall(r"invalid-feedback[^<]*<[^<]*", saved.get_data(as_text=True))
    assert "umsaetze.csv imported (CSV, 1 statement): 3 new lines." in \
        client.get(saved.location).get_data(as_text=True)
    # The second CSV goes straight in (no mapping asked); being the same file, it adds nothing.
    again = upload(client, bank, sample("csv-sparkasse-cp1252.csv"), "umsaetze.csv")
    assert "/csv-mapping" not in again.location
    assert "umsaetze.csv was already imported on " in client.get(again.location).get_data(
        as_text=True)


def test_rules_page_creates_and_turns_off(client, session, users, bank):
    login(client, Role.TREASURER)
    token = csrf_token(client, "/bank/rules")
    response = client.post("/bank/rules", data={
        "csrf_token": token, "name": "Fees", "text_contains": "Entgelt", "direction": "out",
        "account": ledger.account_by_role(session, "bank_fees").id,
        "fund": ledger.general_fund(session).id, "bank_account": ""})
    assert response.status_code == 302
    rule = session.scalar(select(BankRule))
    client.post(f"/bank/rules/{rule.id}/toggle", data={"csrf_token": token})
    session.expire_all()
    assert session.get(BankRule, rule.id).active is False


def test_line_page_matches_several_items(client, session, users, bank, treasurer):
    with transaction():
        postings = [book(session, treasurer, date(2026, 3, 2), cents, f"Member {cents}")
                    for cents in (6000, 9400, 150000)]
    do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer)
    batch = session.scalar(select(BankLine).where(BankLine.amount == 165400))
    login(client, Role.TREASURER)
    page = client.get(f"/bank/lines/{batch.id}?q=Member").get_data(as_text=True)
    assert all(f"posting:{p.id}" in page for p in postings)
    token = csrf_token(client, f"/bank/lines/{batch.id}")
    response = client.post(f"/bank/lines/{batch.id}/accept", data={
        "csrf_token": token, "item": [f"posting:{p.id}" for p in postings]})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(BankLine, batch.id).status == "matched"


def test_account_page_shows_the_difference(client, session, users, bank, treasurer):
    with transaction():
        book(session, treasurer, date(2026, 3, 1), 100000, "Opening")
    do_import(session, bank, sample("camt053-v02-two-statements.xml"), treasurer)
    login(client, Role.TREASURER)
    page = client.get(f"/bank/accounts/{bank.id}?as_of=2026-03-03").get_data(as_text=True)
    assert "€4,977.85" in page and "€1,000.00" in page
    assert "At the bank, not in the books" in page and "continuous" in page


def test_a_csv_mapping_is_guessed_from_german_headers_and_shows_the_first_rows(client, session,
                                                                              users, bank):
    login(client, Role.TREASURER)
    response = upload(client, bank, sample("csv-sparkasse-cp1252.csv"), "umsaetze.csv")
    form = client.get(response.location).get_data(as_text=True)
    preview = form.split('data-testid="csv-preview"')[1].split("</section>")[0]
    assert preview.count("<tr>") == 4  # the header and the file's three rows
    assert 'data-testid="csv-guessed"' in form

    def chosen(field):
        select_html = form.split(f'name="{field}"')[1].split("</select>")[0]
        match = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected',
                          select_html)
        return (match.group(1) or match.group(2) or "") if match else ""

    assert chosen("date") == "Buchungstag" and chosen("amount") == "Betrag"
    assert chosen("counterparty") == "Beguenstigter/Zahlungspflichtiger"
    assert chosen("iban") == "Kontonummer/IBAN" and chosen("text") == "Verwendungszweck"
    assert chosen("debit") == "" and chosen("credit") == ""


def test_the_guess_prefers_a_signed_amount_and_uses_a_column_once():
    from backoffice.banking.parsers.csv import guess_mapping

    assert guess_mapping(["Buchungsdatum", "Soll", "Haben", "Name Zahlungsbeteiligter",
                          "IBAN Zahlungsbeteiligter", "Verwendungszweck"]) == {
        "date": "Buchungsdatum", "debit": "Soll", "credit": "Haben",
        "counterparty": "Name Zahlungsbeteiligter", "iban": "IBAN Zahlungsbeteiligter",
        "text": "Verwendungszweck"}
    assert guess_mapping(["Date", "Amount", "Description"]) == {
        "date": "Date", "amount": "Amount", "text": "Description"}
    assert guess_mapping(["Spalte 1", "Spalte 2"]) == {}
