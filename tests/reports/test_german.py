"""The Reports menu in German: a German visitor reads the index, the balance sheet, the statement
of activities and their downloads in German (amounts written the German way), and the annual
report pack made in German has German section titles (its PDF read back with pypdf)."""
from __future__ import annotations

import base64
import csv
import io
import re

from openpyxl import load_workbook
from pypdf import PdfReader

from backoffice.core.uploads import StoredFile, read_stored
from backoffice.extensions import settings
from backoffice.reports import budgets, pack
from backoffice.reports.models import ReportPack

from ..helpers import form_tokens, login

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_german_visitor_reads_the_reports_index_in_german(client, users):
    login(client, "board")
    html = client.get("/reports", headers=GERMAN).get_data(as_text=True)
    for german in ("Berichte", "Abschlüsse und Auswertungen", "Bilanz", "Ergebnisrechnung",
                   "Ergebnis nach steuerlichen Sphären", "Haushalt: Plan und Ist",
                   "Jahresbericht-Mappe", "Exporte für andere Programme", "Alle Berichte"):
        assert german in html, german
    for english in ("Balance sheet", "Statement of activities", "Exports for others' tools",
                    "All reports"):
        assert english not in html, english


def test_a_german_visitor_reads_the_balance_sheet_in_german(client, hand_ledger):
    login(client, "board")
    html = client.get("/reports/balance-sheet?as_of=2026-12-31",
                      headers=GERMAN).get_data(as_text=True)
    for german in ("<title>Bilanz", "Stand 2026-12-31", "Aktiva", "Summe Aktiva",
                   "Verbindlichkeiten", "Reinvermögen", "Freies Reinvermögen",
                   "Zweckgebundenes Reinvermögen", "Summe Passiva", "Anzeigen", "Herunterladen"):
        assert german in html, german
    assert "1.380,00" in html  # net assets, written the German way
    for english in ("Total assets", "Net assets", "Restricted", "Total liabilities", "Show"):
        assert english not in html, english
    # An English visitor still reads English.
    english = client.get("/reports/balance-sheet?as_of=2026-12-31")
    assert "Total liabilities and net assets" in english.get_data(as_text=True)


def test_a_german_visitor_reads_the_statement_of_activities_and_its_csv_in_german(
        client, hand_ledger):
    login(client, "board")
    query = "start=2026-01-01&end=2026-12-31"
    html = client.get(f"/reports/activities?{query}", headers=GERMAN).get_data(as_text=True)
    for german in ("Ergebnisrechnung", "2026-01-01 bis 2026-12-31", "Erträge", "Aufwendungen",
                   "Summe Erträge", "Summe Aufwendungen", "Ergebnis (Erträge minus Aufwendungen)",
                   "Reinvermögen am Ende", "Vorjahreszeitraum: 2025-01-01 bis 2025-12-31.",
                   "Veränderung", "Fondsgruppen", "Spalten"):
        assert german in html, german
    assert "580,00" in html
    for english in ("Income", "Expenses", "Total", "Prior period", "Net assets at end"):
        assert f">{english}<" not in html and f"{english} " not in html, english
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/activities.csv?{query}",
                                                  headers=GERMAN).get_data(as_text=True))))
    assert rows[0][0] == "Ergebnisrechnung"
    assert rows[1][:3] == ["Kennung", "Zeile", "Art"] and "Summe" in rows[1]
    assert any(row[1] == "Summe Erträge" for row in rows[2:])
    pdf = pdf_text(client.get(f"/reports/activities.pdf?{query}", headers=GERMAN).data)
    assert "Ergebnisrechnung" in pdf and "Summe Aufwendungen" in pdf and "Datenstand" in pdf
    assert "Seite 1 von" in pdf and "580,00" in pdf and "Total expenses" not in pdf


def test_the_pack_made_in_german_has_german_section_titles(app, session, hand_ledger):
    row = pack.make(session, 2026, settings(), actor=hand_ledger.actor, locale="de_DE")
    text = pdf_text(read_stored(session.get(StoredFile, row.file_id), settings().paths.uploads))
    assert "Jahresbericht 2026" in text and "Inhalt" in text
    assert "Geschäftsjahr 2026-01-01 bis 2026-12-31" in text
    for german in ("Bilanz", "Ergebnisrechnung", "Ergebnis nach steuerlichen Sphären",
                   "Haushalt: Plan und Ist", "Fondsbestände und Bewegungen",
                   "Bewilligte und ausgezahlte Förderungen", "Spenden", "Offene Forderungen",
                   "Beschlüsse des Jahres", "Summe Passiva", "Ideeller Bereich", "Zweckbetrieb",
                   "Vermögensverwaltung", "Wirtschaftlicher Geschäftsbetrieb"):
        assert german in text, german
    assert "1.380,00" in text and "Seite 1 von " in text and "Page 1 of" not in text
    for _, title in pack.SECTION_TITLES:
        if title != "Donations":  # also the name of an account (the books' own words)
            assert title not in text, title
    assert "Annual report" not in text and "Total net assets" not in text


def test_the_pack_asked_for_in_german_is_made_in_german(client, session, hand_ledger):
    login(client, "board")
    answer = client.post("/reports/annual", headers=GERMAN,
                         data={**form_tokens(client, "/reports/annual"), "year": "2026"})
    assert answer.status_code == 303
    job_page = client.get(answer.headers["Location"], headers=GERMAN).get_data(as_text=True)
    assert "Jahresbericht-Mappe 2026:" in job_page and "Seiten, SHA-256" in job_page
    row = session.query(ReportPack).one()
    text = pdf_text(client.get(f"/reports/annual/{row.id}.pdf").data)
    assert "Jahresbericht 2026" in text and "Bilanz" in text and "Balance sheet" not in text


def test_the_cash_flow_and_its_chart_read_german(client, hand_ledger):
    login(client, "board")
    html = client.get("/reports/cash-flow?year=2026", headers=GERMAN).get_data(as_text=True)
    for german in ("Liquidität nach Monaten", "Zahlungsmittel zu Beginn", "Gebuchte Erträge",
                   "Veränderung der Zahlungsmittel", "Mär 2026", "Okt 2026", "Jahr"):
        assert german in html, german
    [chart] = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    svg = base64.b64decode(chart).decode()
    assert "Erträge und Aufwendungen nach Monaten (EUR)" in svg
    assert ">Erträge<" in svg and ">Aufwendungen<" in svg and ">Mär<" in svg
    assert ">Income<" not in svg and "Income and expenses" not in svg


def test_the_tax_aging_and_budget_pages_read_german(client, hand_ledger):
    login(client, "treasurer")
    for path, germans in (
            ("/reports/spheres?year=2026", ("Ergebnis nach steuerlichen Sphären",
                                            "Ideeller Bereich", "Wirtschaftlicher Geschäftsbetrieb",
                                            "Ergebnis aller Sphären", "Welcher Sphäre")),
            ("/reports/vat?year=2026&period=Q1", ("Umsatzsteuer-Voranmeldung",
                                                  "Abziehbare Vorsteuer", "1. Quartal", "März")),
            ("/reports/aging", ("Forderungen und Verbindlichkeiten nach Alter",
                                "Summe Forderungen", "Summe Verbindlichkeiten", "Noch nicht fällig",
                                "Nichts offen.")),
            ("/reports/budget?year=2026", ("Haushalt 2026: Plan und Ist", "Abweichung", "Prognose",
                                           "Noch kein Haushalt für 2026.", "Neue Fassung eingeben"))):
        html = client.get(path, headers=GERMAN).get_data(as_text=True)
        for german in germans:
            assert german in html, (path, german)


def test_the_budget_workbook_a_german_treasurer_downloads_is_german_and_reads_back(
        client, session, hand_ledger):
    login(client, "treasurer")
    page = "/reports/budget?year=2026"
    entered = client.post("/reports/budget/2026/lines", headers=GERMAN, data={
        **form_tokens(client, page), "lines": "5500 GEN 240.00\n4100 MUC 1000", "note": "Entwurf"})
    assert entered.status_code == 303
    assert "Haushalt 2026, Fassung 1 ist gespeichert" in client.get(
        page, headers=GERMAN).get_data(as_text=True)
    data = client.get("/reports/budget/2026/workbook.xlsx", headers=GERMAN).data
    header = [cell.value for cell in load_workbook(io.BytesIO(data)).worksheets[0][1]]
    assert header == ["Konto", "Fonds", "Betrag", "Währung", "Kontoname", "Fondsname"]
    uploaded = client.post("/reports/budget/2026/upload", headers=GERMAN,
                           content_type="multipart/form-data", data={
                               **form_tokens(client, page), "note": "Dasselbe",
                               "file": (io.BytesIO(data), "haushalt.xlsx")})
    assert uploaded.status_code == 303
    assert "aus der Arbeitsmappe gespeichert (2 Zeilen)" in client.get(
        page, headers=GERMAN).get_data(as_text=True)
    [first, second] = budgets.revisions(session, 2026)
    assert [(line.account_id, line.fund_id, line.amount) for line in second.lines] == \
        [(line.account_id, line.fund_id, line.amount) for line in first.lines]
