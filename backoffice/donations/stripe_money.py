"""Stripe balance transactions of a donation besides its payment and refunds, each booked once
(``DonationStripeTransaction``, keyed by the transaction's id, written under a lock of the
donation's row), as ``payments.settlement`` books every Stripe movement — the Stripe balance and
the fee in the transaction's currency, what it settles in the donation's:

- **a fee that arrives late**: a payment booked before Stripe made its balance transaction was
  booked in its own currency without a fee (``stripe_adapter.paid_intent``); when the
  transaction appears (``charge.updated``) its fee is booked (Dr payment fees / Cr Stripe
  balance) and, if Stripe settled in another currency, the conversion of what was booked — as
  the invoices' ``payments.services.on_charge_updated`` does;
- **a dispute**: the withdrawal (Dr disputed funds, the receivables in the donation's fund and
  currency / Cr Stripe balance) and Stripe's dispute fee (Dr payment fees / Cr Stripe balance,
  in the transaction's currency, which may differ from the charge's) when the dispute opens;
  a won dispute's reinstatement brings the funds back (Dr Stripe balance / Cr disputed funds)
  and, where Stripe returns it, the fee (its negative fee); a lost one reverses the donation
  from the disputed funds (``booking.reverse``) — as the invoices' ``on_dispute`` books
  against their receivable.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core import clock
from ..core.money import Money
from ..funds.fees import admin_fee_lines
from ..ledger.services import Line, account_by_role, booking_date_for, post_entry
from ..payments import settlement, stripe_api
from . import booking
from .models import Donation, DonationStatus, DonationStripeTransaction
from .refunds import locked

if TYPE_CHECKING:
    from ..core.settings import Settings, Stripe

DISPUTED = "receivables"  # what Stripe withdrew for a dispute, until it is decided
STRIPE_BALANCE = settlement.STRIPE_BALANCE


def movement_of(txn: dict | str, config: Stripe) -> settlement.Movement:
    if isinstance(txn, str):
        txn = stripe_api.retrieve_balance_transaction(config, txn)
    return settlement.Movement.from_stripe(txn)


def _book_once(session: Session, donation: Donation, movement: settlement.Movement,
               settles: Money | None, *, source: str, counter: str, what: str,
               more: list[Line] | None = None) -> bool:
    """Book ``movement`` for ``donation`` unless its balance transaction was booked already
    (False). ``settles`` is credited to the ``counter`` account role in the donation's fund."""
    if not movement.id:
        return False
    row = DonationStripeTransaction(
        balance_transaction=movement.id, donation_id=donation.id, source=source[:255],
        amount=movement.amount.amount, fee=movement.fee.amount,
        currency=movement.amount.currency)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False  # booked by a concurrent delivery
    label = f"{donation.ref} {what} {movement.id}"
    booked = settlement.parts(movement, settles, what=label)
    if booked:
        accounts = {role: account_by_role(session, role)
                    for role in {part.role for part in booked} - {settlement.COUNTER}}
        accounts[settlement.COUNTER] = account_by_role(session, counter)
        entry = post_entry(
            session, booking_date=booking_date_for(session, clock.today()), actor=None,
            description=f"Stripe {label}"[:500], source=("donation", donation.id),
            lines=[Line(accounts[part.role], donation.fund, part.amount, part.memo[:200])
                   for part in booked] + (more or []))
        row.journal_entry_id = entry.id
        session.flush()
    return True


def booked_transactions(session: Session, donation_id: int,
                        source: str | None = None) -> list[DonationStripeTransaction]:
    statement = select(DonationStripeTransaction).where(
        DonationStripeTransaction.donation_id == donation_id)
    if source is not None:
        statement = statement.where(DonationStripeTransaction.source == source)
    return list(session.scalars(statement.order_by(DonationStripeTransaction.created_at)))


def book_late_fee(session: Session, donation: Donation, txn: dict | str, *, charge: str,
                  config: Stripe) -> str:
    """The charge's balance transaction, arrived after its payment was booked: its fee, and
    the conversion when Stripe settled in another currency. Once (also against the booking
    that went by it already)."""
    donation = locked(session, donation.id)
    if donation.status in (DonationStatus.PENDING, DonationStatus.FAILED):
        return f"{donation.ref} is {donation.status.value}: booked when the money arrives"
    txn_id = txn if isinstance(txn, str) else txn.get("id")
    if donation.stripe_balance_transaction or (txn_id and session.get(
            DonationStripeTransaction, txn_id) is not None):
        return f"{donation.ref}: {txn_id} booked already"
    movement = movement_of(txn, config)
    paid = donation.money
    converted = movement.amount.currency != paid.currency
    more = []
    if converted and booking.pays_admin_fee(donation):
        # The admin fee is taken from what arrived (``booking.fee_base``): moved from the
        # charge's currency, where it was taken before Stripe said, to the settlement currency.
        kind = booking.income_kind(donation.kind)
        more = admin_fee_lines(session, fund=donation.fund, kind=kind, amount=-paid,
                               day=donation.donated_on) + admin_fee_lines(
            session, fund=donation.fund, kind=kind, amount=movement.amount,
            day=donation.donated_on)
    if not _book_once(session, donation, movement, paid if converted else None, source=charge,
                      counter=STRIPE_BALANCE, what="fee", more=more):
        return f"{donation.ref}: {movement.id} booked already"
    if converted:
        donation.admin_fee = booking.admin_fee_of(session, donation, movement)
    donation.stripe_balance_transaction = movement.id
    donation.fee, donation.fee_currency = movement.fee.amount, movement.fee.currency
    session.flush()
    return (f"{donation.ref}: fee {movement.fee} booked"
            + (f", converted to {movement.amount}" if converted else ""))


def dispute(session: Session, donation: Donation, obj: dict, *, config: Stripe,
            settings: Settings) -> str:
    """Each of the dispute's balance transactions once (withdrawal and fee, reinstatement);
    a lost dispute then reverses the donation from the disputed funds."""
    donation = locked(session, donation.id)
    disputed = Money(int(obj.get("amount") or 0), str(obj.get("currency") or "").upper())
    notes = []
    for txn in obj.get("balance_transactions") or []:
        movement = movement_of(txn, config)
        settles = None
        if movement.amount.amount:
            settles = movement.amount if movement.amount.currency == disputed.currency \
                else (disputed if movement.amount.amount > 0 else -disputed)
        if _book_once(session, donation, movement, settles, source=obj["id"], counter=DISPUTED,
                      what=f"dispute {obj['id']}"):
            notes.append(f"{movement.id} booked")
    status = obj.get("status")
    if status == "lost" and donation.status is DonationStatus.BOOKED:
        withdrawn = any(row.amount < 0 for row in booked_transactions(session, donation.id,
                                                                      obj["id"]))
        booking.reverse(session, donation, actor=None, reason=f"dispute {obj['id']} lost",
                        credit=account_by_role(session, DISPUTED) if withdrawn else None,
                        settings=settings)
        notes.append("lost: reversed")
    return f"{donation.ref}: dispute {obj['id']} {status}" + (
        f" ({'; '.join(notes)})" if notes else "")
