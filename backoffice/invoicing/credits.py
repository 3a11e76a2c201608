"""Sponsor credits: money a sponsor paid beyond its invoices, held for it until it is set off
against a later invoice or paid back by SEPA transfer.

Where the money lives: on the liability account with role ``sponsor_credits`` ("Sponsor credits
(prepayments)"), in the fund of the invoice that was overpaid. Which sponsor it belongs to: the
``SponsorCredit`` rows, an append-only sub-ledger of that account (see the model's docstring for
why a table of movements and not a stored balance). Every function here posts its journal entry
and writes its rows in the caller's transaction, and every function that *uses* credit first
locks the sponsor's row, so the balance it reads cannot be spent by somebody else meanwhile.

- ``overpayment_lines`` / ``record_overpayment``: the bank match that received too much credits
  the rest (the match posts the entry, this records the row that links to it);
- ``apply_to_invoice``: Dr sponsor credits (the credit's funds) / Cr receivables (the invoice's
  fund) and an invoice payment of method ``credit``;
- ``request_refund``: Dr sponsor credits / Cr payables per fund, and a ``SponsorRefund`` that the
  payout batches pay (``RefundPayables``, a payable source);
- ``reverse_for_match``: a bank match undone takes its credit back, refused when the credit has
  been used meanwhile;
- ``differences``: the rows against the ledger account, per fund and currency (expected: none).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import audit, clock
from ..core.actors import Actor
from ..core.errors import Conflict, InvalidTransition, NotFound, ValidationError
from ..core.i18n import _
from ..core.iban import normalise_iban
from ..core.money import Money
from ..core.settings import Settings
from ..ledger.balances import account_by_fund
from ..ledger.chart import Fund
from ..ledger.services import Line, account_by_role, booking_date_for, post_entry
from ..payouts import services as batches
from . import services, state
from .models import (
    CreditKind,
    Invoice,
    InvoicePayment,
    PaymentKind,
    RefundStatus,
    Sponsor,
    SponsorCredit,
    SponsorRefund,
)

SPONSOR_CREDITS = "sponsor_credits"
PAYABLES = "payables"
SEPA_CURRENCY = "EUR"


def lock_sponsor(session: Session, sponsor_id: int) -> None:
    """Uses of one sponsor's credit happen one at a time: writing the sponsor's row takes its row
    lock on PostgreSQL and the write lock on SQLite until the commit; balances read afterwards
    are what the previous use left."""
    table = Sponsor.__table__
    session.execute(table.update().where(table.c.id == sponsor_id).values(id=table.c.id))


def by_fund(session: Session, sponsor_id: int, currency: str) -> dict[int, int]:
    """{fund id: credit held} of the sponsor in ``currency``, funds with credit only, oldest
    credit first."""
    rows = session.execute(
        select(SponsorCredit.fund_id, func.sum(SponsorCredit.amount), func.min(SponsorCredit.id))
        .where(SponsorCredit.sponsor_id == sponsor_id, SponsorCredit.currency == currency)
        .group_by(SponsorCredit.fund_id)).all()
    return {fund_id: int(total) for fund_id, total, _ in sorted(rows, key=lambda r: r[2])
            if total}


def balance(session: Session, sponsor_id: int, currency: str) -> Money:
    return Money(sum(by_fund(session, sponsor_id, currency).values()), currency)


def balances(session: Session, sponsor_id: int) -> dict[str, int]:
    """{currency: credit held} for the sponsor (currencies with credit only)."""
    rows = session.execute(
        select(SponsorCredit.currency, func.sum(SponsorCredit.amount))
        .where(SponsorCredit.sponsor_id == sponsor_id).group_by(SponsorCredit.currency))
    return {currency: int(total) for currency, total in rows if total}


def movements(session: Session, sponsor_id: int) -> list[SponsorCredit]:
    return list(session.scalars(select(SponsorCredit).where(SponsorCredit.sponsor_id == sponsor_id)
                                .order_by(SponsorCredit.id)))


def _add(session: Session, *, sponsor_id: int, fund_id: int, amount: Money, kind: CreditKind,
         reference: str, journal_entry_id: int, actor: Actor, invoice_id: int | None = None,
         refund_id: int | None = None, bank_match_id: int | None = None,
         reverses_id: int | None = None, note: str = "") -> SponsorCredit:
    row = SponsorCredit(sponsor_id=sponsor_id, fund_id=fund_id, currency=amount.currency,
                        amount=amount.amount, kind=kind.value, reference=reference[:100],
                        invoice_id=invoice_id, refund_id=refund_id, bank_match_id=bank_match_id,
                        journal_entry_id=journal_entry_id, reverses_id=reverses_id,
                        note=note[:300], created_by_id=getattr(actor, "id", None))
    session.add(row)
    session.flush()
    audit.record(session, actor, f"sponsor_credit.{kind.value}", "sponsor", sponsor_id,
                 summary=f"credit {amount} ({kind.value}, {reference})"[:500],
                 after={"amount": amount.amount, "currency": amount.currency,
                        "fund": fund_id, "entry": journal_entry_id, "reference": reference})
    return row


def _parts(held: dict[int, int], amount: int) -> list[tuple[int, int]]:
    """[(fund id, part)] taking ``amount`` from the funds' credit in order."""
    parts, remaining = [], amount
    for fund_id, available in held.items():
        if remaining <= 0:
            break
        part = min(available, remaining)
        if part > 0:
            parts.append((fund_id, part))
            remaining -= part
    return parts


# --- an overpayment becomes credit ----------------------------------------------------------

def overpayment_lines(session: Session, invoice: Invoice, amount: Money) -> list[Line]:
    """Cr sponsor credits in the invoice's fund: the side of an overpayment that is the
    sponsor's (the bank side is the caller's)."""
    if amount.currency != invoice.currency:
        raise ValidationError(_("%(amount)s is not in the invoice's currency %(currency)s.",
                                amount=amount, currency=invoice.currency))
    if amount.amount <= 0:
        raise ValidationError(_("Only money received beyond the invoice becomes credit."))
    return [Line(account_by_role(session, SPONSOR_CREDITS), session.get(Fund, invoice.fund_id),
                 -amount, f"Credit {invoice.buyer_name[:120]}: paid beyond {invoice.number}")]


def record_overpayment(session: Session, invoice: Invoice, amount: Money, *, reference: str,
                       journal_entry_id: int, bank_match_id: int | None, actor: Actor) -> SponsorCredit:
    """The row of a credit whose entry (``overpayment_lines``) the caller has posted."""
    return _add(session, sponsor_id=invoice.sponsor_id, fund_id=invoice.fund_id, amount=amount,
                kind=CreditKind.OVERPAYMENT, reference=reference, invoice_id=invoice.id,
                journal_entry_id=journal_entry_id, bank_match_id=bank_match_id, actor=actor,
                note=f"paid beyond invoice {invoice.number}")


def _open_rows(session: Session, bank_match_id: int) -> list[SponsorCredit]:
    reversed_ids = select(SponsorCredit.reverses_id).where(SponsorCredit.reverses_id.is_not(None))
    return list(session.scalars(select(SponsorCredit).where(
        SponsorCredit.bank_match_id == bank_match_id, SponsorCredit.kind == CreditKind.OVERPAYMENT,
        SponsorCredit.id.not_in(reversed_ids)).order_by(SponsorCredit.id)))


def check_reversible(session: Session, bank_match_id: int) -> list[SponsorCredit]:
    """The credits a bank match created, after making sure they are all still held (locks the
    sponsors). Raises ``Conflict`` when some of it was used: undo that first."""
    rows = _open_rows(session, bank_match_id)
    for row in rows:
        lock_sponsor(session, row.sponsor_id)
    for row in rows:
        held = by_fund(session, row.sponsor_id, row.currency).get(row.fund_id, 0)
        if held < row.amount:
            raise Conflict(_("%(amount)s of this payment became credit for %(sponsor)s, and "
                             "%(used)s of that credit has been used since. The match cannot be "
                             "undone.", amount=Money(row.amount, row.currency),
                             sponsor=row.sponsor.name,
                             used=Money(row.amount - held, row.currency)))
    return rows


def reverse_for_match(session: Session, bank_match_id: int, *, journal_entry_id: int, actor: Actor,
                      reason: str) -> list[SponsorCredit]:
    """Take back the credit a bank match created (its entry is reversed by the caller, in
    ``journal_entry_id``)."""
    rows = check_reversible(session, bank_match_id)
    return [_add(session, sponsor_id=row.sponsor_id, fund_id=row.fund_id,
                 amount=-Money(row.amount, row.currency), kind=CreditKind.REVERSAL,
                 reference=f"{row.reference}:reversed", journal_entry_id=journal_entry_id,
                 bank_match_id=bank_match_id, reverses_id=row.id, invoice_id=row.invoice_id,
                 actor=actor, note=reason) for row in rows]


# --- using credit ----------------------------------------------------------------------------

def apply_to_invoice(session: Session, invoice: Invoice, *, actor: Actor, amount: Money | None = None,
                     on: date | None = None) -> InvoicePayment:
    """Set the sponsor's credit off against an open invoice (all of what is owed, or as much as
    the credit covers, or ``amount``): Dr sponsor credits / Cr receivables, recorded on the
    invoice as a payment of method ``credit``."""
    on = on or clock.today()
    if invoice.is_draft or invoice.is_cancellation or state.is_cancelled(invoice):
        raise InvalidTransition(_("Credit is set off against issued, open invoices only."))
    lock_sponsor(session, invoice.sponsor_id)
    session.expire(invoice, ["payments"])
    owed = state.outstanding(invoice)
    held = by_fund(session, invoice.sponsor_id, invoice.currency)
    available = sum(held.values())
    if owed <= 0:
        raise InvalidTransition(_("Invoice %(number)s has nothing open.", number=invoice.number))
    if available <= 0:
        other = {c: v for c, v in balances(session, invoice.sponsor_id).items() if v > 0}
        held_elsewhere = ", ".join(Money(v, c).format() for c, v in sorted(other.items()))
        if other:
            raise ValidationError(_("%(sponsor)s has no credit in %(currency)s (it holds %(held)s: "
                                    "credit is never converted).", sponsor=invoice.buyer_name,
                                    currency=invoice.currency, held=held_elsewhere))
        raise ValidationError(_("%(sponsor)s has no credit in %(currency)s.",
                                sponsor=invoice.buyer_name, currency=invoice.currency))
    if amount is None:
        amount = Money(min(owed, available), invoice.currency)
    if amount.currency != invoice.currency:
        raise ValidationError(_("%(amount)s is not in the invoice's currency %(currency)s.",
                                amount=amount, currency=invoice.currency))
    if not 0 < amount.amount <= min(owed, available):
        raise ValidationError(_(
            "Up to %(most)s of credit can be set off against %(number)s (%(owed)s open, "
            "%(available)s credit).", most=Money(min(owed, available), invoice.currency),
            number=invoice.number, owed=Money(owed, invoice.currency),
            available=Money(available, invoice.currency)))
    credits = account_by_role(session, SPONSOR_CREDITS)
    parts = _parts(held, amount.amount)
    lines = [Line(credits, session.get(Fund, fund_id), Money(part, amount.currency),
                  f"Credit set off against {invoice.number}") for fund_id, part in parts]
    lines += services.receivable_lines(session, invoice, amount)
    entry = post_entry(session, booking_date=booking_date_for(session, on), actor=actor,
                       description=f"Credit of {invoice.buyer_name} set off against invoice "
                                   f"{invoice.number}"[:500],
                       source=("invoice", invoice.id), lines=lines)
    reference = f"credit-{entry.id}"
    for fund_id, part in parts:
        _add(session, sponsor_id=invoice.sponsor_id, fund_id=fund_id,
             amount=-Money(part, amount.currency), kind=CreditKind.APPLIED,
             reference=f"{reference}-{fund_id}", invoice_id=invoice.id,
             journal_entry_id=entry.id, actor=actor, note=f"set off against {invoice.number}")
    return services._add_payment(
        session, invoice, kind=PaymentKind.PAYMENT, amount=amount, reference=reference,
        received_on=on, method="credit", note="sponsor credit set off",
        journal_entry_id=entry.id, actor=actor)


def request_refund(session: Session, sponsor: Sponsor, amount: Money, *, payee_name: str, iban: str,
                   actor: Actor, bic: str = "") -> list[SponsorRefund]:
    """Pay credit back by SEPA transfer: one ``SponsorRefund`` per fund the credit is held in
    (each a payable of the next payout batch), Dr sponsor credits / Cr payables posted now so the
    credit cannot be used twice."""
    if amount.currency != SEPA_CURRENCY:
        raise ValidationError(_("Refunds are SEPA transfers, in %(sepa)s only; %(currency)s credit "
                                "has to be paid back another way.", sepa=SEPA_CURRENCY,
                                currency=amount.currency))
    payee_name = (payee_name or "").strip()
    if not payee_name or len(payee_name) > 70:
        raise ValidationError(_("Give the account holder's name (up to 70 characters)."),
                              field="payee_name")
    iban, bic = normalise_iban(iban, bic)
    lock_sponsor(session, sponsor.id)
    held = by_fund(session, sponsor.id, amount.currency)
    available = sum(held.values())
    if not 0 < amount.amount <= available:
        raise ValidationError(_("%(sponsor)s holds %(held)s of credit; %(amount)s cannot be paid "
                                "back.", sponsor=sponsor.name,
                                held=Money(available, amount.currency),
                                amount=amount), field="amount")
    credits, payables = account_by_role(session, SPONSOR_CREDITS), account_by_role(session, PAYABLES)
    refunds = []
    for fund_id, part in _parts(held, amount.amount):
        fund, money = session.get(Fund, fund_id), Money(part, amount.currency)
        entry = post_entry(session, booking_date=clock.today(), actor=actor,
                           description=f"Credit of {sponsor.name} to be paid back"[:500],
                           source=("sponsor", sponsor.id),
                           lines=[Line(credits, fund, money, f"Refund to {payee_name}"),
                                  Line(payables, fund, -money, f"Refund to {payee_name}")])
        refund = SponsorRefund(sponsor_id=sponsor.id, fund_id=fund_id, amount=part,
                               currency=amount.currency, payee_name=payee_name, iban=iban,
                               bic=bic or None, journal_entry_id=entry.id,
                               created_by_id=getattr(actor, "id", None))
        session.add(refund)
        session.flush()
        _add(session, sponsor_id=sponsor.id, fund_id=fund_id, amount=-money,
             kind=CreditKind.REFUND, reference=f"refund-{refund.id}", refund_id=refund.id,
             journal_entry_id=entry.id, actor=actor, note=f"paid back to {iban}")
        refunds.append(refund)
    return refunds


# --- refunds as a payable source of the payout batches -----------------------------------------

class RefundPayables:
    """Credit refunds waiting for payout (``SponsorRefund`` rows in the state ``ready``)."""

    kind = "sponsor_refund"
    label = "Sponsor credit refunds"

    def _payable(self, refund: SponsorRefund, liability) -> batches.Payable:
        return batches.Payable(
            kind=self.kind, source_id=str(refund.id), reference=refund.ref,
            payee_name=refund.payee_name, iban=refund.iban, bic=refund.bic,
            amount=Money(refund.amount, refund.currency), fund=refund.fund,
            liability_account=liability, remittance=f"Refund of credit {refund.ref}",
            description=f"Credit of {refund.sponsor.name} paid back",
            due_since=clock.day_of(refund.created_at) if refund.created_at else None)

    def _ready(self, session: Session, *conditions, lock: bool = False) -> list[SponsorRefund]:
        statement = select(SponsorRefund).where(SponsorRefund.status == RefundStatus.READY,
                                                *conditions).order_by(SponsorRefund.id)
        if lock:
            statement = statement.with_for_update(of=SponsorRefund)
        return list(session.scalars(statement))

    def open_payables(self, session: Session) -> list:
        liability = account_by_role(session, PAYABLES)
        return [self._payable(r, liability) for r in self._ready(session)]

    def payables(self, session: Session, ids: list[str]) -> list:
        liability = account_by_role(session, PAYABLES)
        wanted = [int(i) for i in ids if i.isdigit()]
        found = self._ready(session, SponsorRefund.id.in_(wanted), lock=True) if wanted else []
        missing = set(wanted) - {r.id for r in found}
        if missing:
            raise ValidationError(_("Refund SR%(id)s is no longer waiting for payout.",
                                    id=min(missing)))
        return [self._payable(r, liability) for r in found]

    def executed(self, session: Session, item, batch, actor: Actor, *,
                 settings: Settings) -> None:
        refund = session.get(SponsorRefund, int(item.source_id))
        if refund is None:
            raise NotFound(_("No refund %(id)s.", id=item.source_id))
        refund.status, refund.paid_on = RefundStatus.PAID.value, batch.executed_on
        refund.batch_ref = batch.message_id[:40]
        session.flush()
        audit.record(session, actor, "sponsor_refund.paid", "sponsor", refund.sponsor_id,
                     summary=f"{refund.ref}: {Money(refund.amount, refund.currency)} paid back "
                             f"with {batch.message_id}")

    def released(self, session: Session, item, batch, actor: Actor) -> None:
        """The batch was cancelled: the refund waits for the next batch."""

    def returned(self, session: Session, item, batch, returned, actor: Actor, *,
                 settings: Settings) -> None:
        """The bank sent the refund back (``payouts.returns``; payables owe it again): it waits
        for the next batch. The sponsor is no user here: the treasurer asks for the account."""
        refund = session.get(SponsorRefund, int(item.source_id))
        if refund is None or refund.status != RefundStatus.PAID.value:
            raise InvalidTransition(_("Refund %(id)s is not paid.", id=item.source_id))
        refund.status, refund.paid_on, refund.batch_ref = RefundStatus.READY.value, None, None
        session.flush()
        audit.record(session, actor, "sponsor_refund.returned", "sponsor", refund.sponsor_id,
                     summary=f"{refund.ref}: {item.end_to_end_id} returned by the bank "
                             f"({returned.reason_code}); waits for the next payout batch")

    def return_undone(self, session: Session, item, batch, returned, actor: Actor, *,
                      settings: Settings) -> None:
        self.executed(session, item, batch, actor, settings=settings)


REFUND_PAYABLES = RefundPayables()


def payable_source(sender: object, **kwargs: Any) -> RefundPayables:
    """Sponsor refunds as a payable source (``core.signals.payable_sources``)."""
    return REFUND_PAYABLES


# --- checking the sub-ledger against the books -------------------------------------------------

def differences(session: Session) -> list[str]:
    """Where the credit rows and the ``sponsor_credits`` account disagree, per fund and currency
    (the account is a liability: its balance is the negative of what the rows hold)."""
    account = account_by_role(session, SPONSOR_CREDITS)
    books: dict[tuple[int, str], int] = defaultdict(int)
    for (fund_id, currency), total in account_by_fund(session, account.id).items():
        books[(fund_id, currency)] = -total
    rows: dict[tuple[int, str], int] = defaultdict(int)
    for fund_id, currency, total in session.execute(
            select(SponsorCredit.fund_id, SponsorCredit.currency, func.sum(SponsorCredit.amount))
            .group_by(SponsorCredit.fund_id, SponsorCredit.currency)):
        rows[(fund_id, currency)] = int(total)
    return [f"fund {fund_id} {currency}: credits {rows[(fund_id, currency)]}, books "
            f"{books[(fund_id, currency)]}"
            for fund_id, currency in sorted(set(books) | set(rows))
            if books[(fund_id, currency)] != rows[(fund_id, currency)]]
