"""The printed receipt: HTML from a ``ReceiptDocument`` and the PDF made of it (WeasyPrint).

Takes only the computed value (``document``): no database, no app, no rule of its own. The
German texts follow the order and wording of the Federal Ministry of Finance's model texts
(templates ``donations/receipts/de.html``); the US acknowledgment is ``us.html``.
"""
from __future__ import annotations

from datetime import date

from ...core.money import Money
from ...core.templates import render_document
from ...pdf import html_to_pdf
from .document import GiftKind, ReceiptDocument, ReceiptKind

GIFT_KINDS_DE = {GiftKind.MONEY: "Geldzuwendung", GiftKind.MEMBERSHIP: "Mitgliedsbeitrag",
                 GiftKind.IN_KIND: "Sachzuwendung"}


def euro(amount: int) -> str:
    """German figures: 1.234,56 €."""
    return Money(amount, "EUR").format("de_DE")


def dollars(amount: int) -> str:
    return Money(amount, "USD").format("en_US")


def german_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def us_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def purposes(doc: ReceiptDocument) -> str:
    """The purposes as the model's sentences continue "Förderung …": joined with "und"."""
    names = list(doc.notice.purposes)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} und {names[-1]}"


def render_html(doc: ReceiptDocument) -> str:
    if doc.kind is ReceiptKind.US:
        return render_document("donations/receipts/us.html", doc=doc, money=dollars,
                               day=us_date, lang="en")
    return render_document("donations/receipts/de.html", doc=doc, money=euro, day=german_date,
                           purposes=purposes(doc), kinds=GIFT_KINDS_DE, lang="de",
                           Kind=ReceiptKind, GiftKind=GiftKind)


def render_pdf(doc: ReceiptDocument) -> bytes:
    return html_to_pdf(render_html(doc))
