"""Refunds of donations paid through Stripe, in whole or in part, each booked once.

A refund is booked as its balance transaction moved the money (``booking.lines_for`` over
``payments.settlement``): Dr donation income in the donation's fund / Cr the Stripe balance, the
admin fee coming back with the income, and Stripe's fee on the payment staying a cost (as for a
full refund). A refund of part of the gift leaves the donation booked for what is left
(``Donation.net``) and tells the receipts (``donation_reduced``: the issued receipt is cancelled
and replaced for the rest); a refund of what is left reverses it (``booking.reverse``).

Each refund is one ``DonationRefund`` row, unique by Stripe's id, written under a lock of the
donation's row: two events about the same charge at once (PostgreSQL: ``FOR UPDATE``; SQLite:
the single writer) book each refund once and never take more than what is left. A refund that
would (more than is left, another currency, a donation not booked) is kept as refused, with
the reason, for the treasurer; a refund that fails after it was booked is reversed. One that
had reversed the donation books the donation again (``_rebook``): the money came back to the
Stripe balance, so a new entry in the donation's fund books it (the admin fee as the policy
says), the donation is booked again for the refund's amount, counts in the totals and is due a
receipt like any other (the receipt the reversal cancelled stays cancelled); exactly once, under
the donation's lock. The treasurer sees it on the donation's page (the refund failed, with the
entry that reversed the donation and the one that booked it again) and in the audit log
(``donation.rebooked``); nothing waits for them. Only a refund failing after something else
reversed the donation (a lost dispute, a correction by hand), or one Stripe converted without
telling the balance transaction that gave the money back, is marked for the treasurer. Refunds
for the treasurer wait on the start page (``waiting``) until the treasurer records, with a
note, how each was handled (``handle``).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core import audit, clock
from ..core.actors import Actor
from ..core.errors import AlreadyDone, NotFound, ValidationError
from ..core.i18n import _
from ..core.money import Money
from ..core.settings import Settings
from ..core.signals import donation_reduced
from ..ledger import reads
from ..ledger.services import booking_date_for, post_entry, reverse_entry
from ..payments import settlement
from . import booking
from .models import (
    DONATION_STATES,
    Donation,
    DonationRefund,
    DonationStatus,
    RefundHandling,
    RefundStatus,
)

BOOKABLE, FAILED = ("succeeded", "pending"), ("failed", "canceled")


def locked(session: Session, donation_id: int) -> Donation:
    """The donation read again under a lock of its row (the refunds' serialisation point)."""
    return session.scalars(select(Donation).where(Donation.id == donation_id).with_for_update()
                           .execution_options(populate_existing=True)).one()


def refund_row(session: Session, refund_id: str) -> DonationRefund | None:
    return session.scalar(select(DonationRefund).where(DonationRefund.stripe_refund == refund_id))


def refunds_of(session: Session, donation_id: int) -> list[DonationRefund]:
    return list(session.scalars(select(DonationRefund).where(
        DonationRefund.donation_id == donation_id).order_by(DonationRefund.id)))


def refusal(donation: Donation, amount: Money) -> str | None:
    """Why a refund of ``amount`` is not booked on ``donation`` (None: it is)."""
    if donation.status is not DonationStatus.BOOKED:
        return f"{donation.ref} is {donation.status.value}"
    if amount.currency != donation.currency:
        return f"the refund is in {amount.currency}, {donation.ref} in {donation.currency}"
    if amount.amount <= 0:
        return "the refund is of nothing"
    if amount.amount > donation.net:
        return (f"the refund of {amount} is more than the {Money(donation.net, donation.currency)} "
                f"left of {donation.ref}")
    return None


def _keep(session: Session, donation: Donation, refund_id: str, amount: Money,
          status: RefundStatus, note: str = "") -> DonationRefund | None:
    """The refund's row, or None when a concurrent delivery wrote it first."""
    row = DonationRefund(donation_id=donation.id, stripe_refund=refund_id, amount=amount.amount,
                         currency=amount.currency, status=status, note=note[:2000],
                         for_treasurer=status is RefundStatus.REFUSED)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def book(session: Session, donation: Donation, *, refund_id: str, amount: Money,
         movement: settlement.Movement | None, day: date, settings: Settings,
         actor: Actor = None) -> str:
    """Book the refund ``refund_id`` of ``amount`` (positive, as Stripe reports it) once; what
    was done, in words. ``movement``: its balance transaction (None: Stripe has not made it
    yet; booked in the donation's currency unless Stripe converted the payment, when it waits
    for the transaction)."""
    donation = locked(session, donation.id)
    if refund_row(session, refund_id) is not None:
        return f"refund {refund_id} recorded already"
    why = refusal(donation, amount)
    if why is None and movement is None:
        if donation.fee_currency not in (None, donation.currency):
            return f"refund {refund_id} waits for its balance transaction"
        movement = settlement.Movement.unconverted(None, -amount)
    if why is not None:
        if _keep(session, donation, refund_id, amount, RefundStatus.REFUSED, why) is None:
            return f"refund {refund_id} recorded already"
        audit.record(session, actor, "donation.refund_refused", "donation", donation.id,
                     summary=f"{donation.ref}: Stripe refund {refund_id} not booked: {why}")
        return f"refund {refund_id} not booked: {why}"
    row = _keep(session, donation, refund_id, amount, RefundStatus.BOOKED)
    if row is None:
        return f"refund {refund_id} recorded already"
    reason = f"refunded through Stripe ({refund_id}, {amount})"
    if amount.amount == donation.net:
        booking.reverse(session, donation, actor=actor, reason=reason, movement=movement, day=day,
                        settings=settings)
        row.journal_entry_id = donation.reversal_entry_id
        donation.refunded += amount.amount
        session.flush()
        return f"refund {refund_id}: {donation.ref} reversed"
    entry = post_entry(
        session, booking_date=booking_date_for(session, day), actor=actor,
        description=f"Donation {donation.ref} refunded in part: {amount} ({refund_id})"[:500],
        source=("donation", donation.id),
        lines=booking.lines_for(session, donation, movement=movement, amount=-amount))
    row.journal_entry_id = entry.id
    donation.refunded += amount.amount
    session.flush()
    _reduced(session, donation, actor, f"{amount} refunded through Stripe ({refund_id})",
             settings)
    return f"refund {refund_id}: {donation.ref} now {Money(donation.net, donation.currency)}"


def undo(session: Session, donation: Donation, *, refund_id: str, amount: Money, status: str,
         settings: Settings, actor: Actor = None,
         returned: Callable[[], settlement.Movement | None] | None = None) -> str:
    """A refund that failed or was cancelled gave nothing back: its booking is reversed and
    the donation counts for more again; one that had reversed the donation books it again
    (``_rebook``; ``returned``: the balance transaction that gave the money back, asked for
    only then). Heard of before it was booked: kept as failed, so a late event showing it
    pending books nothing."""
    donation = locked(session, donation.id)
    row = refund_row(session, refund_id)
    if row is None:
        _keep(session, donation, refund_id, amount, RefundStatus.FAILED, f"Stripe: {status}")
        return f"refund {refund_id} {status} before it was booked"
    if row.status is not RefundStatus.BOOKED:
        return f"refund {refund_id} is {row.status.value}"
    if donation.status is not DonationStatus.BOOKED:
        if row.for_treasurer:
            return f"refund {refund_id} is for the treasurer already"
        if donation.status is DonationStatus.REVERSED and row.journal_entry_id is not None \
                and donation.reversal_entry_id == row.journal_entry_id:
            done = _rebook(session, donation, row, status=status, actor=actor,
                           movement=returned() if returned else None)
            if done:
                return done
        why = (f"Stripe: {status} after it was booked, but {donation.ref} is "
               f"{donation.status.value}")
        row.for_treasurer, row.note = True, why[:2000]
        session.flush()
        audit.record(session, actor, "donation.refund_for_treasurer", "donation", donation.id,
                     summary=f"{donation.ref}: Stripe refund {refund_id} {status}, not undone: "
                             f"{donation.ref} is {donation.status.value}")
        return (f"refund {refund_id} {status}, but {donation.ref} is {donation.status.value}: "
                f"for the treasurer")
    reason = f"Stripe refund {refund_id} {status}"
    reversal = reverse_entry(session, reads.entry(session, row.journal_entry_id), actor=actor,
                             reason=f"{donation.ref}: {reason}",
                             booking_date=booking_date_for(session, clock.today()))
    row.status, row.reversal_entry_id = RefundStatus.FAILED, reversal.id
    donation.refunded -= row.amount
    session.flush()
    _reduced(session, donation, actor, reason, settings)
    return f"refund {refund_id} {status}: reversed"


def _rebook(session: Session, donation: Donation, row: DonationRefund, *, status: str,
            actor: Actor, movement: settlement.Movement | None) -> str | None:
    """The refund that reversed ``donation`` failed: the money came back to the Stripe
    balance, so the donation is booked again for the refund's amount, in a new entry in its
    fund (Dr the Stripe balance as ``movement`` moved it, Cr donation income, the admin fee as
    the fund's policy says on the gift's day), dated today; it counts again in the totals and,
    its receipt having been cancelled by the reversal (it stays cancelled), is due a receipt
    like any other. The refund is kept as failed with both entries; nothing waits for the
    treasurer. Once: the caller holds the donation's lock and found the refund still booked.
    None when it cannot be booked here (converted by Stripe and no balance transaction given:
    the treasurer decides)."""
    money = row.money
    if movement is None:
        if donation.fee_currency not in (None, donation.currency):
            return None
        movement = settlement.Movement.unconverted(None, money)
    DONATION_STATES.apply(donation, "rebook")
    reason = f"Stripe refund {row.stripe_refund} {status}"
    entry = post_entry(
        session, booking_date=booking_date_for(session, clock.today()), actor=actor,
        description=f"Donation {donation.ref} booked again: {reason}"[:500],
        source=("donation", donation.id),
        lines=booking.lines_for(session, donation, movement=movement, amount=money))
    row.status, row.reversal_entry_id = RefundStatus.FAILED, entry.id
    row.note = f"Stripe: {status} after it had reversed {donation.ref}; booked again ({entry.ref})"
    donation.refunded -= row.amount
    donation.reversal_entry_id, donation.reversed_at, donation.reversal_reason = None, None, ""
    session.flush()
    audit.record(session, actor, "donation.rebooked", "donation", donation.id,
                 summary=f"{donation.ref}: {reason} after it had reversed the donation; booked "
                         f"again for {money} in {entry.ref}")
    return f"refund {row.stripe_refund} {status}: {donation.ref} booked again"


def _reduced(session: Session, donation: Donation, actor: Actor, reason: str,
             settings: Settings) -> None:
    audit.record(session, actor, "donation.refunded_in_part", "donation", donation.id,
                 summary=f"{donation.ref}: {reason}; now {Money(donation.net, donation.currency)}")
    donation_reduced.send(donation, session=session, actor=actor, reason=reason,
                          settings=settings)


# --- refunds for the treasurer -------------------------------------------------------------

WAITING = (DonationRefund.for_treasurer.is_(True),
           ~select(RefundHandling.refund_id).where(
               RefundHandling.refund_id == DonationRefund.id).exists())


def waiting(session: Session, user: object = None, today: object = None) -> int:
    """How many refunds wait for the treasurer (the start page's count)."""
    return session.scalar(select(func.count()).select_from(DonationRefund).where(*WAITING))


def for_treasurer(session: Session) -> list[tuple[DonationRefund, Donation]]:
    """The refunds that wait for the treasurer, oldest first, with their donations."""
    return list(session.execute(
        select(DonationRefund, Donation).join(Donation, Donation.id == DonationRefund.donation_id)
        .where(*WAITING).order_by(DonationRefund.id)))


def handled(session: Session, limit: int = 50) -> list[tuple[DonationRefund, Donation,
                                                               RefundHandling]]:
    """The refunds the treasurer handled, latest first."""
    return list(session.execute(
        select(DonationRefund, Donation, RefundHandling)
        .join(Donation, Donation.id == DonationRefund.donation_id)
        .join(RefundHandling, RefundHandling.refund_id == DonationRefund.id)
        .order_by(RefundHandling.handled_at.desc(), DonationRefund.id.desc()).limit(limit)
    ))


def handle(session: Session, refund_id: int, *, note: str, actor: Actor) -> RefundHandling:
    """Record how the treasurer handled the refund ``refund_id`` (a refused one, or one that
    failed after it reversed its donation): it leaves the waiting work; audited. Once."""
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Say how the refund was handled."), field="note")
    row = session.scalars(select(DonationRefund).where(DonationRefund.id == refund_id)
                          .with_for_update()).one_or_none()
    if row is None:
        raise NotFound(_("No such refund."))
    if not row.for_treasurer:
        raise ValidationError(_("This refund does not wait for the treasurer."))
    if session.get(RefundHandling, row.id) is not None:
        raise AlreadyDone(_("Refund %(refund)s is handled already.", refund=row.stripe_refund))
    handling = RefundHandling(refund_id=row.id, note=note[:2000],
                              handled_by_id=getattr(actor, "id", None))
    session.add(handling)
    session.flush()
    donation = session.get(Donation, row.donation_id)
    audit.record(session, actor, "donation.refund_handled", "donation", row.donation_id,
                 summary=f"{donation.ref}: Stripe refund {row.stripe_refund} ({row.money}) "
                         f"handled: {note}"[:500])
    return handling
