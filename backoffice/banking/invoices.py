"""Open invoices as items a bank line may pay (provider ``invoice``).

An issued, not cancelled invoice with money still owed is offered for what is owed, with its
number and its RF payment reference as references (folding makes "RE 2026 0OO42" find
"2026-00042") and the IBANs its sponsor has paid from before (so "amount and IBAN match sponsor
ACME" works without a reference). Accepting records a bank transfer on the invoice through the
invoicing service (partly paid, paid) and credits receivables in the invoice's fund in the
match's own entry; undo adds a reversal row to the invoice's payments (they are append-only).

An invoice paid by hand (``invoicing.services.record_payment`` with ``debit_role="bank"``) has
its own posting on the bank's ledger account: that posting is offered as a booked posting, and
the invoice only for what is still open, so the same money is never booked twice.

Lines that pay more than the invoices ask may leave the rest as a credit of the invoices'
sponsor (``credit_target``, ``credit_lines``, ``record_credit``: ``invoicing.credits``); a
shortfall written off is recorded on the invoice as a ``write_off`` payment (``written_off``).
Undo takes back the payment, the write-off and the credit (refused if the credit was used).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, select, union
from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..core.bounds import as_id
from ..core.errors import NotFound, ValidationError
from ..core.i18n import N_, _
from ..core.money import Money
from ..core.settings import Settings
from ..invoicing import credits, state
from ..invoicing import services as invoicing
from ..invoicing.models import Invoice, InvoicePayment
from ..ledger.reads import postings_view
from .matching import OpenItem, Provider
from .models import BankLine, BankMatchItem, BankMatchLine

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from sqlalchemy import CompoundSelect, Select

    from ..ledger.models import JournalEntry
    from .models import BankAccount, BankMatch


def _paid_from(sponsor_ids: list[int] | Select) -> CompoundSelect:
    """(sponsor id, IBAN) of the IBANs the sponsors' invoices were paid from: lines matched to
    their invoices, or to the bank postings of payments recorded on them by hand (issue 17: of
    the sponsors asked about, ids or a select of them, not of every sponsor in the history)."""
    sponsors = Invoice.sponsor_id.in_(sponsor_ids)
    by_invoice_item = (
        select(Invoice.sponsor_id, BankLine.counterparty_iban)
        .select_from(BankMatchItem)
        .join(Invoice, cast(Invoice.id, String) == BankMatchItem.item_key)
        .join(BankMatchLine, BankMatchLine.match_id == BankMatchItem.match_id)
        .join(BankLine, BankLine.id == BankMatchLine.bank_line_id)
        .where(BankMatchItem.provider == InvoiceProvider.name, BankMatchItem.active.is_(True),
               BankLine.counterparty_iban != "", sponsors))
    posting = postings_view()
    by_payment_posting = (
        select(Invoice.sponsor_id, BankLine.counterparty_iban)
        .select_from(BankMatchItem)
        .join(posting, posting.c.id == BankMatchItem.posting_id)
        .join(Invoice, cast(Invoice.id, String) == posting.c.source_id)
        .join(BankMatchLine, BankMatchLine.match_id == BankMatchItem.match_id)
        .join(BankLine, BankLine.id == BankMatchLine.bank_line_id)
        .where(BankMatchItem.active.is_(True), posting.c.source_kind == "invoice",
               BankLine.counterparty_iban != "", sponsors))
    return union(by_invoice_item, by_payment_posting)


@cache
def _open_invoices() -> Select:
    """The open invoices (``invoicing.state.open_invoice_select``, oldest due first), each with an
    IBAN its sponsor paid from (``_paid_from``) or None, one row for each: one statement
    (issue 17: two), built once per process."""
    invoices = state.open_invoice_select().cte("open_invoices")
    ibans = _paid_from(select(invoices.c.sponsor_id)).subquery("ibans")
    return (select(*invoices.c, ibans.c.counterparty_iban)
            .outerjoin(ibans, ibans.c.sponsor_id == invoices.c.sponsor_id)
            .order_by(invoices.c.due_date, invoices.c.id))


def payment_reference(match_id: int, invoice_id: int | str) -> str:
    """The invoice payment a match records (``InvoicePayment.reference``, unique)."""
    return f"bank-match-{match_id}-{invoice_id}"


def write_off_reference(match_id: int, invoice_id: int | str) -> str:
    return f"{payment_reference(match_id, invoice_id)}-write-off"


def credit_target(session: Session, keys: Iterable[tuple[str, str]]) -> Invoice:
    """The invoice whose sponsor gets the rest of a match as credit: every item an invoice, all
    of one sponsor (the last one's fund holds the credit)."""
    if any(name != InvoiceProvider.name for name, _ in keys):
        raise ValidationError(_("Only a payment of invoices can leave credit for a sponsor; put "
                                "the rest on an account instead."))
    found = [session.get(Invoice, int(key)) for _, key in keys]
    if len({invoice.sponsor_id for invoice in found}) != 1:
        raise ValidationError(_("The invoices belong to different sponsors: whose credit would "
                                "the rest be? Match them one sponsor at a time."))
    return found[-1]


def credit_lines(session: Session, invoice: Invoice, rest: Money):
    return credits.overpayment_lines(session, invoice, rest)


def record_credit(session: Session, invoice: Invoice, rest: Money, *, match: BankMatch, entry: JournalEntry, actor: Actor) -> None:
    credits.record_overpayment(session, invoice, rest, reference=f"bank-match-{match.id}-credit",
                               journal_entry_id=entry.id, bank_match_id=match.id, actor=actor)


class InvoiceProvider(Provider):
    name = "invoice"
    label = "Open invoices"
    counts_own_allocations = True  # the invoice knows what is paid

    def open_items(self, session: Session, bank_account: BankAccount) -> Iterable[OpenItem]:
        rows: dict[int, list] = {}
        paid_from: dict[int, set[str]] = defaultdict(set)
        for *row, iban in session.execute(_open_invoices(),
                                          {"currency": bank_account.currency}).all():
            rows.setdefault(row[0], row)
            if iban is not None:
                paid_from[row[-1]].add(iban)
        ibans = {sponsor_id: tuple(sorted(found)) for sponsor_id, found in paid_from.items()}
        currency = bank_account.currency
        for invoice_id, number, reference, issued, due, outstanding, buyer, sponsor_id in \
                rows.values():
            yield OpenItem(
                provider=self.name, key=str(invoice_id), amount=int(outstanding),
                currency=currency, date=issued or due, label=f"Invoice {number} to {buyer}",
                references=tuple(r for r in (number, reference) if r),
                ibans=ibans.get(sponsor_id, ()), counterparty=buyer, counterparty_role=N_("sponsor"),
                kind=N_("invoice"), url=f"/invoices/{invoice_id}")

    @staticmethod
    def _find(session: Session, key: str) -> Invoice | None:
        return session.get(Invoice, number) if (number := as_id(key)) is not None else None

    def _invoice(self, session: Session, key: str) -> Invoice:
        invoice = self._find(session, key)
        if invoice is None:
            raise NotFound(_("No invoice #%(key)s.", key=key))
        return invoice

    def accept(self, session: Session, *, bank_account: BankAccount, match: BankMatch, item: OpenItem, amount: int, booking_date: date, actor: Actor):
        invoice = self._invoice(session, item.key)
        money = Money(amount, invoice.currency)
        invoicing.check_transfer(session, invoice, money)
        return invoicing.receivable_lines(session, invoice, money)

    def posted(self, session: Session, *, bank_account: BankAccount, match: BankMatch, entry: JournalEntry | None, allocations: list[tuple[OpenItem, int]], booking_date: date, actor: Actor,
               settings: Settings):
        for item, amount in allocations:
            self._record(session, invoicing.record_bank_transfer, item, amount, entry,
                         payment_reference(match.id, item.key), f"bank match #{match.id}",
                         received_on=booking_date, actor=actor)

    def written_off(self, session: Session, *, match: BankMatch, item: OpenItem, amount: int, entry: JournalEntry, booking_date: date, actor: Actor):
        self._record(session, invoicing.record_write_off, item, amount, entry,
                     write_off_reference(match.id, item.key),
                     f"bank match #{match.id}: the payer paid less", on=booking_date, actor=actor)

    def _record(self, session: Session, record: Callable[..., object], item: OpenItem, amount: int, entry: JournalEntry | None, reference: str, note: str, *, actor: Actor | None = None,
                **day: date):
        invoice = self._invoice(session, item.key)
        record(session, invoice, amount=Money(amount, invoice.currency), reference=reference,
               journal_entry_id=entry.id if entry is not None else None, actor=actor, note=note,
               **day)

    def refusal(self, session: Session, bank_account: BankAccount, key: str):
        invoice = self._find(session, key)
        if invoice is None or invoice.is_draft:
            return None
        if invoice.currency != bank_account.currency:
            return _("Invoice %(number)s is in %(currency)s; %(account)s keeps %(kept)s. A "
                     "payment in another currency than the invoice is not booked against it: "
                     "record it by hand at the rate the bank applied, or book the line as an "
                     "entry.", number=invoice.number, currency=invoice.currency,
                     account=bank_account.name, kept=bank_account.currency)
        if state.is_cancelled(invoice):
            return _("Invoice %(number)s is cancelled.", number=invoice.number)
        return None  # paid meanwhile: the service's Conflict says so

    def undo(self, session: Session, *, match: BankMatch, item_row: BankMatchItem, actor: Actor,
             settings: Settings):
        for reference in (payment_reference(match.id, item_row.item_key),
                          write_off_reference(match.id, item_row.item_key)):
            payment = session.scalar(select(InvoicePayment).where(
                InvoicePayment.reference == reference))
            if payment is not None:
                invoicing.reverse_payment(session, payment,
                                          reason=f"bank match #{match.id} undone",
                                          journal_entry_id=match.undo_entry_id, actor=actor)


INVOICES = InvoiceProvider()


def open_item_provider(sender: object, **kwargs: Any) -> InvoiceProvider:
    return INVOICES
