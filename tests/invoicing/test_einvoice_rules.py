"""The e-invoices pass the EN 16931 business rules (the schematron receiving platforms run), not
only the XSD, and the PDF/A carries them the way Factur-X says.

Every invoice the suite issues is also checked by the app itself (``INVOICE_CHECK_EN16931`` is on
in tests), so a rule broken by any test's invoice fails that test.
"""
from __future__ import annotations

import io
from datetime import date

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.invoicing import en16931, services

from . import factories

EXEMPT = "Steuerfrei nach § 4 Nr. 22 a UStG (Vorträge wissenschaftlicher Art)"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"

CASES = {
    "domestic, standard and reduced rate": ("DE", "EUR", [
        ("Gold sponsorship\nBooth, logo", 1000, 450000, "standard"),
        ("Catering", 2500, 1999, "reduced")]),
    "domestic, exempt": ("DE", "EUR", [("Talk slot", 1000, 25000, "exempt", EXEMPT)]),
    "domestic, mixed with exempt": ("DE", "EUR", [
        ("Gold sponsorship", 1000, 100000, "standard"),
        ("Talk slot", 1000, 25000, "exempt", EXEMPT)]),
    "EU business, reverse charge": ("NL", "EUR", None),
    "outside the EU, not subject to VAT": ("US", "EUR", None),
    "outside the EU in dollars": ("US", "USD", [("Gold sponsorship", 1000, 150000, "standard")]),
    "domestic in pounds": ("DE", "GBP", [("Silver sponsorship", 3000, 33333, "standard")]),
}


def _xml(invoice) -> bytes:
    _name, xml = facturx.get_xml_from_pdf(services.stored_pdf(db.session, invoice, settings=app_settings()),
                                          check_xsd=False)
    return xml


def _issue(key, currency, lines):
    return factories.issued(factories.sponsor(key), lines, currency=currency,
                            issue_date=date(2026, 5, 4))


@pytest.mark.parametrize("case", CASES)
def test_every_vat_case_and_its_cancellation_pass_the_business_rules(app, case):
    key, currency, lines = CASES[case]
    invoice = _issue(key, currency, lines)
    assert en16931.failures(_xml(invoice)) == []
    with transaction():
        cancellation = services.cancel(db.session, invoice, actor=None, reason="Wrong address", settings=app_settings())
    assert en16931.failures(_xml(cancellation)) == []


def test_a_credit_note_states_the_credited_amount_as_due(app):
    invoice = _issue("DE", "EUR", None)
    with transaction():
        cancellation = services.cancel(db.session, invoice, actor=None, reason="Duplicate", settings=app_settings())
    summary = etree.fromstring(_xml(cancellation)).find(
        f".//{{{RAM}}}SpecifiedTradeSettlementHeaderMonetarySummation")
    assert summary.findtext(f"{{{RAM}}}DuePayableAmount") == \
        summary.findtext(f"{{{RAM}}}GrandTotalAmount") == "5950.00"


def test_not_subject_to_vat_carries_no_vat_ids_and_no_rate_but_the_tax_number(app):
    xml = _xml(_issue("US", "EUR", None))
    root = etree.fromstring(xml)
    ids = {element.get("schemeID"): element.text
           for element in root.iter(f"{{{RAM}}}ID") if element.get("schemeID")}
    assert ids == {"FC": "27/640/12345"}
    assert root.find(f".//{{{RAM}}}RateApplicablePercent") is None
    legal = root.find(f".//{{{RAM}}}SellerTradeParty/{{{RAM}}}SpecifiedLegalOrganization")
    assert legal.findtext(f"{{{RAM}}}ID") == "Amtsgericht Berlin-Charlottenburg, VR 12345 B"


def _set(xml: bytes, path: str, value: str | None) -> bytes:
    root = etree.fromstring(xml)
    element = root.find(path, {"ram": RAM})
    if value is None:
        element.getparent().remove(element)
    else:
        element.text = value
    return etree.tostring(root)


def test_the_check_names_the_rules_an_e_invoice_breaks(app):
    """The defects receiving platforms rejected: a credit note with 0.00 due (BR-CO-16), a VAT
    ID and a rate on a not-taxable invoice (BR-O-02, BR-O-05)."""
    invoice = _issue("DE", "EUR", None)
    with transaction():
        cancellation = services.cancel(db.session, invoice, actor=None, reason="Duplicate", settings=app_settings())
    due_zero = _set(_xml(cancellation), ".//ram:DuePayableAmount", "0.00")
    assert "BR-CO-16" in {failure.rule for failure in en16931.failures(due_zero)}

    outside = etree.fromstring(_xml(_issue("US", "EUR", None)))
    seller = outside.find(f".//{{{RAM}}}SellerTradeParty")
    registration = etree.SubElement(seller, f"{{{RAM}}}SpecifiedTaxRegistration")
    etree.SubElement(registration, f"{{{RAM}}}ID", schemeID="VA").text = "DE136695976"
    line_tax = outside.find(f".//{{{RAM}}}SpecifiedLineTradeSettlement/{{{RAM}}}ApplicableTradeTax")
    etree.SubElement(line_tax, f"{{{RAM}}}RateApplicablePercent").text = "0.00"
    rules = {failure.rule for failure in en16931.failures(etree.tostring(outside))}
    assert {"BR-O-02", "BR-O-05"} <= rules
    with pytest.raises(ValueError, match="BR-O-02"):
        en16931.check(etree.tostring(outside))


def test_the_pdf_a_has_one_xmp_packet_and_lists_the_e_invoice_once(app):
    invoice = _issue("DE", "EUR", None)
    reader = PdfReader(io.BytesIO(services.stored_pdf(db.session, invoice, settings=app_settings())))
    catalog = reader.trailer["/Root"]
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert xmp.count("<rdf:RDF") == 1
    packet = etree.fromstring(xmp[xmp.index("<x:xmpmeta"):xmp.rindex("</x:xmpmeta>") + 12])
    text = etree.tostring(packet).decode()
    for fact in ("<pdfaid:part>3</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>",
                 "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>",
                 "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>"):
        assert fact in text
    names = catalog["/Names"]["/EmbeddedFiles"]["/Names"]
    assert [name for name in names if isinstance(name, str)] == ["factur-x.xml"]
    attached = [reference.get_object() for reference in catalog["/AF"]]
    assert len(attached) == 1 and attached[0]["/AFRelationship"] == "/Data"
    assert "/OutputIntents" in catalog


def test_cli_checks_every_stored_e_invoice(app):
    _issue("US", "EUR", None)
    result = app.test_cli_runner().invoke(args=["invoices", "check-einvoices", "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert "All e-invoices pass EN 16931." in result.output
