"""An invoice is one computed value (``document.InvoiceDocument``); the page, the PDF and the
e-invoice only render it. These tests build the value by hand and render it with no app and no
database, and check that what the three say agrees."""
from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import facturx
import flask
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader

from backoffice.invoicing import document, documents, en16931
from backoffice.invoicing.amounts import compute_totals, line_net
from backoffice.invoicing.document import (
    Buyer,
    DocumentLine,
    InvoiceDocument,
    Reference,
    Seller,
    TaxTotal,
)
from backoffice.invoicing.models import InvoiceKind, VatRegime

RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
EXEMPT = "Steuerfrei nach § 4 Nr. 22 a UStG"

SELLER = Seller(name="Python Community Association e.V.", street="Musterstraße 12",
                postcode="10115", city="Berlin", country="DE", tax_number="27/640/12345",
                vat_id="DE136695976", register="Amtsgericht Berlin-Charlottenburg, VR 12345 B",
                board="Anna Beispiel, Jonas Muster", email="treasurer@example.org",
                website="https://example.org", bank_name="Beispielbank Berlin",
                iban="DE89370400440532013000", bic="COBADEFFXXX")


def hand_built(**changes) -> InvoiceDocument:
    """A domestic invoice at three rates, every figure written out (no arithmetic run)."""
    doc = InvoiceDocument(
        kind=InvoiceKind.INVOICE, number="2026-00042", issue_date=date(2026, 5, 4),
        due_date=date(2026, 6, 3), service_date=date(2026, 4, 20), service_end=None,
        payment_days=30, currency="EUR", language="en", seller=SELLER,
        buyer=Buyer("Beispiel Software GmbH", "Hauptstraße 5", "50667", "Köln", "DE",
                    "DE136695976"),
        po_reference="PO-7", payment_reference="RF18202600042",
        lines=(DocumentLine(1, "Gold sponsorship\nBooth, logo", 1000, 450000, 450000, "S", 1900),
               DocumentLine(2, "Catering add-on", 2500, 1999, 4998, "S", 700),
               DocumentLine(3, "Talk slot", 1000, 25000, 25000, "E", 0)),
        taxes=(TaxTotal("S", 1900, 450000, 85500), TaxTotal("S", 700, 4998, 350),
               TaxTotal("E", 0, 25000, 0, EXEMPT)),
        net=479998, tax=85850, gross=565848, vat_notes=(f"VAT exempt: {EXEMPT}",),
        notes="Thank you for PyConf.", payment_terms="Payment terms: 30 days net, without deduction.",
        pay_url="https://backoffice.example/pay/abc", credit=1500)
    return replace(doc, **changes) if changes else doc


def cancellation() -> InvoiceDocument:
    doc = hand_built()
    return replace(doc, kind=InvoiceKind.CANCELLATION, number="2026-00043",
                   lines=tuple(replace(line, unit_price=-line.unit_price, net=-line.net)
                               for line in doc.lines),
                   taxes=tuple(replace(tax, net=-tax.net, tax=-tax.tax) for tax in doc.taxes),
                   net=-doc.net, tax=-doc.tax, gross=-doc.gross, pay_url=None, credit=0,
                   notes="Duplicate", cancels=Reference("2026-00042", date(2026, 5, 4)))


def _text(html_or_pdf) -> str:
    if isinstance(html_or_pdf, bytes):
        pages = PdfReader(io.BytesIO(html_or_pdf)).pages
        return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_or_pdf))


def _summation(xml: bytes) -> dict[str, Decimal]:
    summary = etree.fromstring(xml).find(f".//{{{RAM}}}SpecifiedTradeSettlementHeaderMonetarySummation")
    return {child.tag.split("}")[1]: Decimal(child.text) for child in summary}


def _cents(value: Decimal) -> int:
    return int(value * 100)


def test_the_value_checks_that_its_totals_add_up():
    with pytest.raises(ValueError, match="do not add up"):
        hand_built(gross=565849)
    with pytest.raises(ValueError, match="sum of the lines"):
        hand_built(net=479999, gross=565849)
    with pytest.raises(ValueError, match="names the invoice"):
        hand_built(kind=InvoiceKind.CANCELLATION)


@pytest.mark.parametrize("make", [hand_built, cancellation], ids=["invoice", "cancellation"])
def test_renders_from_a_hand_built_value_with_no_app_and_no_database(make):
    assert not flask.has_app_context()
    doc = make()
    pdf = documents.render_pdf(doc, check_rules=True)  # the XSD and the EN 16931 rules
    _name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert xml == documents.render_xml(doc)
    assert en16931.failures(xml) == []
    assert doc.number in _text(pdf) and doc.number in _text(documents.render_html(doc))


@pytest.mark.parametrize("make", [hand_built, cancellation], ids=["invoice", "cancellation"])
def test_the_pdf_the_xml_and_the_page_agree_on_one_value(make):
    doc = make()
    html, xml, pdf = documents.render_html(doc), documents.render_xml(doc), documents.render_pdf(doc)
    page, printed = _text(html), _text(pdf)
    sign = -1 if doc.is_cancellation else 1
    sums = _summation(xml)
    assert _cents(sums["TaxBasisTotalAmount"]) == sign * doc.net
    assert _cents(sums["TaxTotalAmount"]) == sign * doc.tax
    assert _cents(sums["GrandTotalAmount"]) == _cents(sums["DuePayableAmount"]) == sign * doc.gross
    money = [documents.money_text(amount, doc.currency, doc.language)
             for amount in (doc.net, doc.tax, doc.gross,
                            *(line.net for line in doc.lines), *(tax.tax for tax in doc.taxes))]
    words = [doc.number, doc.payment_reference, doc.buyer.name, doc.seller.vat_id,
             doc.payment_terms if not doc.is_cancellation else doc.notes, *doc.vat_notes]
    for phrase in money + words:
        assert phrase in page, phrase
        assert phrase in printed, phrase
    root = etree.fromstring(xml)
    taxes = root.findall(f".//{{{RAM}}}ApplicableHeaderTradeSettlement/{{{RAM}}}ApplicableTradeTax")
    assert [(t.findtext(f"{{{RAM}}}CategoryCode"), _cents(Decimal(t.findtext(f"{{{RAM}}}BasisAmount"))),
             _cents(Decimal(t.findtext(f"{{{RAM}}}CalculatedAmount")))) for t in taxes] == \
        [(t.category, sign * t.net, sign * t.tax) for t in doc.taxes]
    line_totals = [_cents(Decimal(element.text)) for element in root.iter(f"{{{RAM}}}LineTotalAmount")]
    assert line_totals[:len(doc.lines)] == [sign * line.net for line in doc.lines]


# --- compute: the arithmetic is amounts' (rounding rule), run once ------------------------------

lines = st.lists(st.builds(
    SimpleNamespace, description=st.sampled_from(["Gold", "Talk\nslot"]),
    quantity_milli=st.integers(1, 100_000), unit_price=st.integers(-1_000_000, 10_000_000),
    tax_treatment=st.sampled_from(["standard", "reduced", "exempt"]),
    exempt_reason=st.just(EXEMPT)), min_size=1, max_size=8)


def _draft(items, language="de"):
    """What ``compute`` reads of an invoice, without a database."""
    return SimpleNamespace(
        kind="invoice", cancels_id=None, language=language, lines=items, currency="EUR",
        service_date=date(2026, 5, 4), service_end=None, payment_days=14, buyer_name="B GmbH",
        buyer_street="Weg 1", buyer_postcode="1", buyer_city="Köln", buyer_country="DE",
        buyer_vat_id=None, po_reference="", notes="")


@settings(max_examples=60, deadline=None)
@given(lines, st.sampled_from(list(VatRegime)), st.sampled_from(["en", "de"]))
def test_the_computed_value_carries_the_rounding_rule_unchanged(items, regime, language):
    issuing = {"number": "2026-00001", "issue_date": date(2026, 5, 4),
               "due_date": date(2026, 5, 18), "seller": SELLER.__dict__,
               "payment_reference": "RF0", "vat_regime": regime.value}
    doc = document.compute(None, _draft(items, language), pay_url=None, issuing=issuing)
    totals = compute_totals(items, regime)
    assert [line.net for line in doc.lines] == totals.line_nets == \
        [line_net(item.quantity_milli, item.unit_price) for item in items]
    assert [(t.category, t.rate_bp, t.net, t.tax) for t in doc.taxes] == \
        [(g.category, g.rate_bp, g.net, g.tax) for g in totals.groups]
    assert (doc.net, doc.tax, doc.gross) == (totals.net, totals.tax, totals.gross)
    sums = _summation(documents.render_xml(doc))
    assert (_cents(sums["TaxBasisTotalAmount"]), _cents(sums["TaxTotalAmount"]),
            _cents(sums["GrandTotalAmount"])) == (doc.net, doc.tax, doc.gross)
    for tax in doc.taxes:  # every rate that charges no VAT says why
        assert bool(tax.exemption_reason) == (tax.category != "S")
