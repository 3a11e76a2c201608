"""The figures of a German advance VAT return (Umsatzsteuer-Voranmeldung) for a month or a
quarter, by the form's Kennzahlen (the field numbers, stable from year to year where the form's
line numbers move), each drilled down to the invoices behind it.

Output VAT and the bases come from the invoices issued in the period, computed with invoicing's
own rounding rule; input VAT from the ledger's input-VAT account (its cached totals), which the
association books where it may deduct it. An association that deducts none
(``REPORTS_DEDUCTS_INPUT_VAT`` off, ``settings.reports.deducts_input_vat``) leaves Kz 66 empty
whatever that account holds: Kz 83 is then its output VAT alone.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ..core.i18n import _, _l
from ..invoicing.amounts import CATEGORY_EXEMPT, CATEGORY_OUTSIDE, CATEGORY_REVERSE
from ..ledger.balances import account_movements
from ..ledger.reads import chart_accounts
from . import invoices_tax
from .statements import HEADING, LINE, SUBTOTAL, TOTAL, Drill, Line, Statement, period

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Field:
    kz: str
    label: str  # a lazy text: the reader's language
    kind: str  # "base": a net amount; "tax": VAT


FIELDS = {
    "81": Field("81", _l("Taxable supplies at 19 %% (base)"), "base"),
    "86": Field("86", _l("Taxable supplies at 7 %% (base)"), "base"),
    "21": Field("21", _l("Services to EU businesses, reverse charge (§ 18b UStG, base)"), "base"),
    "45": Field("45", _l("Other supplies not taxable in Germany (place of supply abroad, base)"), "base"),
    "48": Field("48", _l("Tax-exempt supplies without input-tax deduction (§ 4 Nr. 8-28 UStG, "
                               "base)"), "base"),
    "66": Field("66", _l("Deductible input VAT"), "tax"),
    "83": Field("83", _l("Advance payment due (refund if negative)"), "tax"),
}


@dataclass(frozen=True)
class InvoiceContribution:
    invoice_id: int
    number: str
    issue_date: date
    buyer: str
    kz: str
    base: int
    tax: int


def kz_of(category: str, rate_bp: int) -> str:
    if category == CATEGORY_REVERSE:
        return "21"
    if category == CATEGORY_OUTSIDE:
        return "45"
    if category == CATEGORY_EXEMPT or rate_bp == 0:
        return "48"
    return "81" if rate_bp == 1900 else "86"


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first = date(year, 3 * quarter - 2, 1)
    after = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return first, date.fromordinal(after.toordinal() - 1)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    after = date(year + (month == 12), 1 if month == 12 else month + 1, 1)
    return date(year, month, 1), date.fromordinal(after.toordinal() - 1)


def compute(session: Session, start: date, end: date, currency: str = "EUR", *,
            deducts_input_vat: bool) -> tuple[Statement, list[InvoiceContribution]]:
    contributions: list[InvoiceContribution] = []
    bases: dict[str, int] = defaultdict(int)
    taxes: dict[str, int] = defaultdict(int)
    for invoice in invoices_tax.issued_between(session, start, end):
        if invoice.currency != currency:
            continue
        for group in invoice.groups:
            kz = kz_of(group.category, group.rate_bp)
            bases[kz] += group.net
            taxes[kz] += group.tax
            contributions.append(InvoiceContribution(invoice.id, invoice.number,
                                                     invoice.issue_date, invoice.buyer, kz,
                                                     group.net, group.tax))
    input_accounts = [a for a in chart_accounts(session) if a.role == "input_vat"]
    input_vat = 0
    if deducts_input_vat:
        moved = account_movements(session, start, end, account_ids=[a.id for a in input_accounts])
        input_vat = sum(v for (a, c), v in moved.items() if c == currency)
    else:
        input_accounts = []
    output = taxes["81"] + taxes["86"]
    lines = [Line(_("Supplies and services"), kind=HEADING)]
    for kz in ("81", "86", "21", "45", "48"):
        lines.append(Line(str(FIELDS[kz].label), (bases[kz], taxes[kz] if kz in ("81", "86") else None),
                          LINE, f"Kz {kz}", 1))
    lines.append(Line(_("Output VAT"), (None, output), SUBTOTAL))
    lines.append(Line(_("Deductions"), kind=HEADING))
    drill = tuple(Drill(a.id, start=start, end=end) for a in input_accounts[:1])
    lines.append(Line(str(FIELDS["66"].label), (None, input_vat), LINE, "Kz 66", 1,
                      (None, *drill)))
    lines.append(Line(str(FIELDS["83"].label), (None, output - input_vat), TOTAL, "Kz 83"))
    statement = Statement(
        "vat", _("VAT return figures (Umsatzsteuer-Voranmeldung)"), period(start, end),
        currency, (_("Base"), _("VAT")), tuple(lines),
        notes=(_("Kennzahlen of the form; bases and VAT from the invoices issued in the period "
                 "(credit notes and cancellations negative), input VAT from the ledger's "
                 "input-VAT account.") if deducts_input_vat else
               _("Kennzahlen of the form; bases and VAT from the invoices issued in the period "
                 "(credit notes and cancellations negative). The association deducts no input "
                 "VAT: Kz 66 stays empty."),))
    return statement, contributions
