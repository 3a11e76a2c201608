"""Receivables and payables by age, from what invoicing and the payout batches already know:
open invoices by days overdue (``invoicing.state.aging``, its buckets) and what the payable
sources owe, by days since it fell due (``payouts.services.open_payables``)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ..core.i18n import _
from ..invoicing.state import AGING_BUCKETS, aging, aging_bucket

__all__ = ["AGING_BUCKETS", "OpenItem", "compute", "open_items"]
from ..payouts.services import open_payables
from .statements import HEADING, LINE, SUBTOTAL, Line, Statement

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class OpenItem:
    side: str  # "receivable" | "payable"
    reference: str
    party: str
    due: date | None
    bucket: str
    amount: int
    currency: str
    invoice_id: int | None = None


def open_items(session: Session, today: date) -> list[OpenItem]:
    items = [OpenItem("receivable", item.invoice.number or "", item.invoice.buyer_name,
                      item.invoice.due_date, bucket, item.outstanding, item.invoice.currency,
                      item.invoice.id)
             for item, bucket in aging(session, today)[0]]
    for payables in open_payables(session).values():
        for payable in payables:
            days = (today - payable.due_since).days if payable.due_since else 0
            items.append(OpenItem("payable", payable.reference, payable.payee_name,
                                  payable.due_since, aging_bucket(days), payable.amount.amount,
                                  payable.amount.currency))
    return items


def compute(session: Session, today: date) -> tuple[list[Statement], list[OpenItem]]:
    items = open_items(session, today)
    currencies = sorted({item.currency for item in items}) or ["EUR"]
    statements = []
    for currency in currencies:
        sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for item in items:
            if item.currency == currency:
                sums[(item.side, item.bucket)][0] += item.amount
                sums[(item.side, item.bucket)][1] += 1
        lines = []
        for side, heading, total_label in (
                ("receivable", _("Receivables (open invoices)"), _("Total receivables")),
                ("payable", _("Payables (claims, grants, refunds not yet paid)"),
                 _("Total payables"))):
            lines.append(Line(heading, kind=HEADING))
            for key, label in AGING_BUCKETS:
                amount, count = sums[(side, key)]
                lines.append(Line(str(label), (amount, count), LINE, depth=1))
            lines.append(Line(total_label, (sum(sums[(side, k)][0] for k, _ in AGING_BUCKETS),
                                                 sum(sums[(side, k)][1] for k, _ in AGING_BUCKETS)),
                              SUBTOTAL))
        statements.append(Statement("aging", _("Receivables and payables by age"),
                                    _("as of %(day)s", day=today.isoformat()), currency,
                                    (_("Amount"), _("Items")),
                                    tuple(lines), count_columns=(1,)))
    return statements, items
