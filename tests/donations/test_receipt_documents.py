"""Each kind of receipt, rendered to PDF and read back (pypdf): the model's wording in the model's
order, one A4 page (a collective receipt's annex on the pages after it), both notes always, the
machine-produced statement only where allowed."""
from __future__ import annotations

import dataclasses
import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from backoffice.core.settings import ExemptionNotice, defaults
from backoffice.donations.receipts.document import (
    Gift,
    GiftKind,
    InKind,
    Origin,
    Party,
    ReceiptKind,
    Replaces,
    compose,
)
from backoffice.donations.receipts.notice import ReceiptRefused
from backoffice.donations.receipts.render import render_pdf

SETTINGS = defaults()
ISSUER = Party("Python Community Association e.V.", ("Musterstraße 12", "10115 Berlin"))
DONOR = Party("Erika Mustermann", ("Heidestraße 17", "51147 Köln", "DE"))
DAY = date(2027, 1, 15)
LIABILITY = ("Wer vorsätzlich oder grob fahrlässig eine unrichtige Zuwendungsbestätigung erstellt "
             "oder veranlasst, dass Zuwendungen nicht zu den in der Zuwendungsbestätigung "
             "angegebenen steuerbegünstigten Zwecken verwendet werden, haftet für die entgangene "
             "Steuer (§ 10b Abs. 4 EStG, § 9 Abs. 3 KStG, § 9 Nr. 5 GewStG).")
NOT_ACCEPTED = ("Diese Bestätigung wird nicht als Nachweis für die steuerliche Berücksichtigung "
                "der Zuwendung anerkannt, wenn das Datum des Freistellungsbescheides länger als 5 "
                "Jahre bzw. das Datum der Feststellung der Einhaltung der satzungsmäßigen "
                "Voraussetzungen nach § 60a Abs. 1 AO länger als 3 Jahre seit Ausstellung des "
                "Bescheides zurückliegt (§ 63 Abs. 5 AO).")
MACHINE = "maschinell erstellt und ist ohne Unterschrift gültig"
THING = InKind("Beamer Epson EB-X49, 2 Jahre alt, gut erhalten, Kaufpreis 699 EUR",
               Origin.PRIVATE, "Rechnung vom 02.01.2024", True)


def money(n, amount, day=date(2026, 3, 1), kind=GiftKind.MONEY, **extra):
    return Gift(n, day, amount, extra.pop("currency", "EUR"), kind, **extra)


def receipts(**changes):
    return dataclasses.replace(SETTINGS.receipts, **changes)


def make(gifts, *, settings=None, **extra):
    settings = settings or SETTINGS.receipts
    return compose(gifts=gifts, donor=DONOR, issuer=ISSUER, number="ZB-2027-00007",
                   issue_date=DAY, receipts=settings, notice=settings.notice, **extra)


def pdf_text(doc) -> tuple[list[str], str]:
    """The pages' text, and all of it on one line (a line broken after a slash joined again)."""
    pages = [page.extract_text().replace("/\n", "/")
             for page in PdfReader(io.BytesIO(render_pdf(doc))).pages]
    return pages, " ".join(" ".join(pages).split())


def in_order(text: str, *parts: str) -> None:
    at = 0
    for part in parts:
        found = text.find(" ".join(part.split()), at)
        assert found >= 0, f"{part!r} missing (or out of order) in {text!r}"
        at = found + 1


def test_a_single_receipt_for_money_has_the_models_wording_in_its_order_on_one_page():
    doc = make([money(1, 10110)])
    assert doc.kind is ReceiptKind.MONEY
    pages, text = pdf_text(doc)
    assert len(pages) == 1
    in_order(text,
             "Aussteller (Bezeichnung und Anschrift der steuerbegünstigten Einrichtung)",
             "Python Community Association e.V.", "ZB-2027-00007",
             "Bestätigung über Geldzuwendungen/Mitgliedsbeitrag",
             "im Sinne des § 10b des Einkommensteuergesetzes an eine der in § 5 Abs. 1 Nr. 9 des "
             "Körperschaftsteuergesetzes bezeichneten Körperschaften, Personenvereinigungen oder "
             "Vermögensmassen",
             "Name und Anschrift des Zuwendenden:", "Erika Mustermann, Heidestraße 17, 51147 Köln",
             "Betrag der Zuwendung - in Ziffern -", "101,10 €",
             "- in Buchstaben -", "einhundertein Euro und zehn Cent",
             "Tag der Zuwendung:", "01.03.2026",
             "Es handelt sich um den Verzicht auf Erstattung von Aufwendungen Ja ☐ Nein ☒",
             "☒ Wir sind wegen Förderung der Bildung (§ 52 Abs. 2 Satz 1 Nr. 7 AO) und der "
             "Wissenschaft und Forschung (§ 52 Abs. 2 Satz 1 Nr. 1 AO) nach dem "
             "Freistellungsbescheid bzw. nach der Anlage zum Körperschaftsteuerbescheid des "
             "Finanzamtes Finanzamt für Körperschaften I Berlin, StNr. 27/640/12345, vom "
             "12.05.2025 für den letzten Veranlagungszeitraum 2021 bis 2023 nach § 5 Abs. 1 Nr. 9 "
             "des Körperschaftsteuergesetzes von der Körperschaftsteuer und nach § 3 Nr. 6 des "
             "Gewerbesteuergesetzes von der Gewerbesteuer befreit.",
             "Es wird bestätigt, dass die Zuwendung nur zur Förderung der Bildung",
             "verwendet wird.",
             "Berlin, 15.01.2027",
             "(Ort, Datum und Unterschrift des Zuwendungsempfängers)",
             "Hinweis:", LIABILITY, NOT_ACCEPTED)
    assert MACHINE not in text
    for advertising in ("Vielen Dank", "Danke", "Thank"):
        assert advertising not in text


def test_a_waived_reimbursement_says_ja_and_is_never_machine_produced():
    doc = make([money(1, 4250, kind=GiftKind.MONEY, waiver=True)],
               settings=receipts(machine_produced=True))
    assert not doc.machine_produced
    pages, text = pdf_text(doc)
    assert len(pages) == 1
    in_order(text, "zweiundvierzig Euro und fünfzig Cent",
             "Es handelt sich um den Verzicht auf Erstattung von Aufwendungen Ja ☒ Nein ☐",
             "(Ort, Datum und Unterschrift des Zuwendungsempfängers)", LIABILITY, NOT_ACCEPTED)
    assert MACHINE not in text


def test_the_machine_statement_stands_only_where_configured():
    _, text = pdf_text(make([money(1, 50000)], settings=receipts(machine_produced=True)))
    in_order(text, "Berlin, 15.01.2027", MACHINE, LIABILITY, NOT_ACCEPTED)
    assert "Unterschrift des Zuwendungsempfängers" not in text


def test_a_gift_in_kind_has_its_own_wording_and_is_never_machine_produced():
    doc = make([money(1, 45000, kind=GiftKind.IN_KIND, in_kind=THING)],
               settings=receipts(machine_produced=True))
    assert doc.kind is ReceiptKind.IN_KIND and not doc.machine_produced
    pages, text = pdf_text(doc)
    assert len(pages) == 1
    in_order(text, "Bestätigung über Sachzuwendungen",
             "Wert der Zuwendung - in Ziffern -", "450,00 €", "vierhundertfünfzig Euro",
             "Tag der Zuwendung:",
             "Genaue Bezeichnung der Sachzuwendung mit Alter, Zustand, Kaufpreis usw.",
             THING.description,
             "☐ Die Sachzuwendung stammt nach den Angaben des Zuwendenden aus dem "
             "Betriebsvermögen. Die Zuwendung ist mit dem Entnahmewert (ggf. mit dem niedrigeren "
             "gemeinen Wert) bewertet.",
             "☒ Die Sachzuwendung stammt nach den Angaben des Zuwendenden aus dem Privatvermögen.",
             "☐ Der Zuwendende hat trotz Aufforderung keine Angaben zur Herkunft der "
             "Sachzuwendung gemacht.",
             "☒ Geeignete Unterlagen, die zur Wertermittlung gedient haben, z. B. Rechnung, "
             "Gutachten, liegen vor.",
             "Wir sind wegen Förderung", "(Ort, Datum und Unterschrift des Zuwendungsempfängers)",
             LIABILITY, NOT_ACCEPTED)
    assert "Verzicht" not in text and MACHINE not in text


def test_a_collective_receipt_lists_its_gifts_in_an_annex_after_its_one_page():
    gifts = [money(1, 2500, date(2026, 1, 15)), money(2, 2500, date(2026, 2, 15)),
             money(3, 12000, date(2026, 5, 1), kind=GiftKind.MEMBERSHIP),
             money(4, 3810, date(2026, 7, 9), waiver=True)]
    doc = make(gifts, period=(date(2026, 1, 1), date(2026, 12, 31)))
    assert doc.kind is ReceiptKind.COLLECTIVE and doc.total == 20810
    pages, text = pdf_text(doc)
    assert len(pages) == 2
    first = " ".join(pages[0].split())
    in_order(first, "Sammelbestätigung über Geldzuwendungen/Mitgliedsbeiträge",
             "Gesamtbetrag der Zuwendung - in Ziffern -", "208,10 €",
             "zweihundertacht Euro und zehn Cent",
             "Zeitraum der Sammelbestätigung:", "01.01.2026 bis 31.12.2026",
             "Wir sind wegen Förderung",
             "Es wird bestätigt, dass über die in der Gesamtsumme enthaltenen Zuwendungen keine "
             "weiteren Bestätigungen, weder formelle Zuwendungsbestätigungen noch "
             "Beitragsquittungen oder Ähnliches ausgestellt wurden und werden.",
             "Ob es sich um den Verzicht auf Erstattung von Aufwendungen handelt, ist der Anlage "
             "zur Sammelbestätigung zu entnehmen.", LIABILITY, NOT_ACCEPTED)
    annex = " ".join(pages[1].split())
    in_order(annex, "Anlage zur Sammelbestätigung Nr. ZB-2027-00007",
             "Datum der Zuwendung", "Art der Zuwendung (Geldzuwendung/Mitgliedsbeitrag)",
             "Verzicht auf die Erstattung von Aufwendungen (ja/nein)", "Betrag",
             "15.01.2026 Geldzuwendung nein 25,00 €", "15.02.2026 Geldzuwendung nein 25,00 €",
             "01.05.2026 Mitgliedsbeitrag nein 120,00 €", "09.07.2026 Geldzuwendung ja 38,10 €",
             "Gesamtsumme 208,10 €")
    assert not doc.machine_produced  # a waiver among the gifts


def test_a_collective_receipt_never_takes_a_gift_in_kind():
    with pytest.raises(ReceiptRefused, match="gift in kind gets a receipt of its own"):
        make([money(1, 1000), money(2, 45000, kind=GiftKind.IN_KIND, in_kind=THING)])


def test_a_replacement_says_which_receipt_it_replaces():
    doc = make([money(1, 50000)], replaces=Replaces("ZB-2026-00003", date(2026, 4, 2)))
    pages, text = pdf_text(doc)
    assert len(pages) == 1
    in_order(text, "ZB-2027-00007",
             "Diese Zuwendungsbestätigung ersetzt die Zuwendungsbestätigung Nr. ZB-2026-00003 vom "
             "02.04.2026; jene ist ungültig und nicht mehr zu verwenden.",
             "Bestätigung über Geldzuwendungen/Mitgliedsbeitrag", LIABILITY, NOT_ACCEPTED)


def test_a_60a_notice_prints_its_own_sentence_and_fees_not_deductible_print_the_fee_box():
    notice = ExemptionNotice(ExemptionNotice.SECTION_60A, "Finanzamt Köln-Mitte", "214/5712/3456",
                             date(2025, 9, 1), "", ("des Sports (§ 52 Abs. 2 Satz 1 Nr. 21 AO)",))
    settings = receipts(notice=notice, membership_fees_deductible=False)
    _, text = pdf_text(make([money(1, 50000)], settings=settings))
    in_order(text, "☒ Die Einhaltung der satzungsmäßigen Voraussetzungen nach den §§ 51, 59, 60 "
                   "und 61 AO wurde vom Finanzamt Finanzamt Köln-Mitte, StNr. 214/5712/3456, mit "
                   "Bescheid vom 01.09.2025 nach § 60a AO gesondert festgestellt. Wir fördern nach "
                   "unserer Satzung des Sports (§ 52 Abs. 2 Satz 1 Nr. 21 AO).",
             "Es wird bestätigt, dass die Zuwendung nur zur Förderung des Sports",
             "☒ Es wird bestätigt, dass es sich nicht um einen Mitgliedsbeitrag handelt, dessen "
             "Abzug nach § 10b Abs. 1 des Einkommensteuergesetzes ausgeschlossen ist.",
             LIABILITY, NOT_ACCEPTED)
    assert "Freistellungsbescheid bzw. nach der Anlage" not in text


def test_a_us_acknowledgment_states_amount_date_and_that_nothing_was_given_in_return():
    settings = receipts(style="us", us_ein="12-3456789")
    doc = make([money(1, 30000, date(2026, 6, 30), currency="USD")], settings=settings)
    assert doc.kind is ReceiptKind.US
    pages, text = pdf_text(doc)
    assert len(pages) == 1
    in_order(text, "Python Community Association e.V.", "EIN 12-3456789",
             "Written acknowledgment of contributions", "January 15, 2027", "Erika Mustermann",
             "June 30, 2026", "Cash", "$300.00",
             "No goods or services were provided in exchange for this contribution.")


def test_a_us_acknowledgment_discloses_a_quid_pro_quo():
    settings = receipts(style="us")
    doc = make([money(1, 50000, date(2026, 6, 30), currency="USD",
                      goods_description="a conference dinner ticket", goods_value=8000)],
               settings=settings)
    _, text = pdf_text(doc)
    in_order(text, "$500.00", "In exchange for this contribution you received a conference "
                              "dinner ticket (June 30, 2026), whose value we estimate in good "
                              "faith at $80.00.", "deductible", "$420.00")
    assert "No goods or services" not in text


def test_a_german_receipt_states_euros_and_names_the_donors_address():
    with pytest.raises(ReceiptRefused, match="states euros"):
        make([money(1, 50000, currency="USD")])
    with pytest.raises(ReceiptRefused, match="address"):
        compose(gifts=[money(1, 50000)], donor=Party("Anonymous", ()), issuer=ISSUER,
                number="X", issue_date=DAY, receipts=SETTINGS.receipts,
                notice=SETTINGS.receipts.notice)


def test_the_pdf_text_carries_no_number_but_its_own():
    _, text = pdf_text(make([money(1, 50000)]))
    assert re.findall(r"ZB-\d{4}-\d{5}", text) == ["ZB-2027-00007"]
