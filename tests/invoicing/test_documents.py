"""What the PDF says (read back with pypdf) and the e-invoice inside it."""
from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services

from . import factories

EXEMPT = "Steuerfrei nach § 4 Nr. 22 a UStG (Vorträge wissenschaftlicher Art)"


def _text(invoice) -> str:
    reader = PdfReader(io.BytesIO(services.stored_pdf(db.session, invoice, settings=app_settings())))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.mark.parametrize("key, lines, expected, absent", [
    ("DE", [("Gold sponsorship", 1000, 100000, "standard")],
     ["Rechnung 2026-00001", "USt. 19 % auf 1.000,00 €", "190,00 €", "1.190,00 €",
      "Ihre USt-IdNr. DE136695976", "Steuernummer", "Leistungsdatum"], ["Reverse"]),
    ("DE", [("Workshop catering", 1000, 10000, "reduced")],
     ["USt. 7 % auf 100,00 €", "7,00 €", "107,00 €"], []),
    ("DE", [("Conference talk", 1000, 30000, "exempt", EXEMPT)],
     ["Umsatzsteuerfrei: " + EXEMPT, "USt. 0 % auf 300,00 €", "300,00 €"], ["19 %"]),
    ("NL", [("Gold sponsorship", 1000, 100000, "standard")],
     ["Invoice 2026-00001", "Reverse charge: the recipient of the service is liable for the VAT",
      "Article 196 of Council Directive 2006/112/EC", "Your VAT ID NL004495445B01",
      "VAT 0 % on €1,000.00", "€1,000.00"], ["190"]),
    ("US", [("Gold sponsorship", 1000, 100000, "standard")],
     ["Not taxable in Germany: the place of supply is in the recipient's country", "€1,000.00"],
     ["Reverse", "190"]),
])
def test_vat_case_wording_in_the_pdf(app, key, lines, expected, absent):
    invoice = factories.issued(factories.sponsor(key), lines, issue_date=date(2026, 5, 4))
    text = _text(invoice)
    for phrase in expected:
        assert phrase in text, f"{phrase!r} not in {text}"
    for phrase in absent:
        assert phrase not in text
    # Legally required on every invoice: seller's name, address, tax number and VAT ID; number,
    # dates, bank details.
    for phrase in ("Python Community Association e.V.", "Musterstraße 12", "27/640/12345",
                   "DE136695976", "DE89 3704 0044 0532 0130 00", invoice.payment_reference,
                   invoice.buyer_name):
        assert phrase in text


def _xml(invoice) -> bytes:
    filename, xml = facturx.get_xml_from_pdf(services.stored_pdf(db.session, invoice, settings=app_settings()),
                                             check_xsd=False)
    assert filename == "factur-x.xml"
    return xml


def test_einvoice_validates_and_its_totals_equal_the_pdf(app):
    invoice = factories.issued(factories.sponsor("DE", language="en"), [
        ("Gold sponsorship\nBooth, logo, 4 tickets", 1000, 450000, "standard"),
        ("Catering add-on", 2500, 1999, "reduced"),
        ("Talk slot", 1000, 25000, "exempt", EXEMPT),
    ], issue_date=date(2026, 5, 4))
    xml = _xml(invoice)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"
    ns = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    root = etree.fromstring(xml)
    summary = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", ns)
    amounts = {child.tag.split("}")[1]: Decimal(child.text) for child in summary}
    cents = lambda d: int(d * 100)  # noqa: E731
    assert cents(amounts["TaxBasisTotalAmount"]) == invoice.net_total == 450000 + 4998 + 25000
    assert cents(amounts["TaxTotalAmount"]) == invoice.tax_total == 85500 + 350
    assert cents(amounts["GrandTotalAmount"]) == invoice.gross_total
    assert cents(amounts["DuePayableAmount"]) == invoice.gross_total
    text = _text(invoice)
    from backoffice.invoicing.documents import money_text
    for amount in (invoice.net_total, invoice.tax_total, invoice.gross_total):
        assert money_text(amount, "EUR", "en") in text
    taxes = root.findall("ram:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
                         "ram:ApplicableTradeTax", {**ns, "ram": ns["ram"]}) or \
        root.findall(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", ns)
    assert [(t.findtext("ram:CategoryCode", namespaces=ns), t.findtext("ram:RateApplicablePercent",
             namespaces=ns)) for t in taxes] == [("S", "19.00"), ("S", "7.00"), ("E", "0.00")]
    reader = PdfReader(io.BytesIO(services.stored_pdf(db.session, invoice, settings=app_settings())))
    assert "pdfaid:part" in reader.xmp_metadata.stream.get_data().decode() or \
        b"pdfaid" in services.stored_pdf(db.session, invoice, settings=app_settings())


@pytest.mark.parametrize("key", ["NL", "US"])
def test_einvoice_of_foreign_buyers_validates(app, key):
    invoice = factories.issued(factories.sponsor(key))
    assert facturx.xml_check_xsd(_xml(invoice), flavor="factur-x", level="en16931")


def test_cancellation_einvoice_is_a_credit_note_referring_to_the_original(app):
    from backoffice.core.db import transaction

    invoice = factories.issued()
    with transaction():
        cancellation = services.cancel(db.session, invoice, actor=None, reason="Duplicate", settings=app_settings())
    xml = _xml(cancellation)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml
    assert invoice.number.encode() in xml
    text = _text(cancellation)
    assert "Stornorechnung" in text and invoice.number in text


def test_epc_qr_payload_follows_the_girocode_format(app):
    from backoffice.core.money import Money
    from backoffice.invoicing.documents import epc_payload

    payload = epc_payload(name="Python Community Association e.V.", iban="DE89 3704 0044 0532 0130 00",
                          bic="COBADEFFXXX", amount=Money(119000, "EUR"), text="RF47 2026-00001")
    assert payload.split("\n") == ["BCD", "002", "1", "SCT", "COBADEFFXXX",
                                   "Python Community Association e.V.", "DE89370400440532013000",
                                   "EUR1190.00", "", "", "RF47 2026-00001"]


def test_payment_reference_is_a_valid_creditor_reference(app):
    from stdnum import iso11649

    invoice = factories.issued()
    assert iso11649.is_valid(invoice.payment_reference)


def test_the_page_the_pdf_and_the_xml_show_the_one_documents_totals(app, client, users):
    """Documents are views of one computed value: the invoice's page renders the same
    ``InvoiceDocument`` the PDF and the Factur-X XML were rendered from (no totals of its own)."""
    from backoffice.core.formatting import format_money
    from backoffice.invoicing.documents import money_text

    from ..helpers import login
    invoice = factories.issued(factories.sponsor("DE", language="en"), [
        ("Gold sponsorship", 1000, 450000, "standard"),
        ("Catering add-on", 2500, 1999, "reduced"),
        ("Talk slot", 1000, 25000, "exempt", EXEMPT),
    ], issue_date=date(2026, 5, 4))
    doc = services.document_of(db.session, invoice, settings=app_settings())
    login(client, "treasurer")
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    gross_cell = re.search(r'data-testid="gross">(.*?)</td>', page).group(1)
    assert re.sub(r"<[^>]+>", "", gross_cell) == format_money(doc.gross, "EUR", "en")
    shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    for amount in (doc.net, *(t.tax for t in doc.taxes), *(line.net for line in doc.lines)):
        assert format_money(amount, "EUR", "en") in shown
    for tax in doc.taxes:
        assert f"VAT {tax.rate} % ({tax.category}) on {format_money(tax.net, 'EUR', 'en')}" in shown
    text = _text(invoice)
    for amount in (doc.net, doc.tax, doc.gross):
        assert money_text(amount, "EUR", "en") in text
    ns = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    summary = etree.fromstring(_xml(invoice)).find(
        ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", ns)
    amounts = {child.tag.split("}")[1]: int(Decimal(child.text) * 100) for child in summary}
    assert (amounts["TaxBasisTotalAmount"], amounts["TaxTotalAmount"],
            amounts["GrandTotalAmount"]) == (doc.net, doc.tax, doc.gross)
    assert (doc.net, doc.tax, doc.gross) == (invoice.net_total, invoice.tax_total,
                                             invoice.gross_total)
