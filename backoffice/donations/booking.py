"""A donation in the books, whatever its channel: Dr what received it (the Stripe balance, the
bank, the cash box, the claim's payable, or the account a gift in kind is used on), Cr donation
income (membership income for membership fees) in the chosen fund; the fund's admin fee moves
to the general fund in the same entry (``funds.fees``, with the policy's donation rate; not on
gifts in kind, which bring no money to take it from), and
Stripe money is booked as its balance transaction moved it (``payments.settlement``: the fee
Stripe kept, and the exchange when Stripe settled in another currency).

Every donation is created by ``record``, once per source reference (the unique columns of
``Donation``): a second attempt — a duplicate webhook, a concurrent one, a bank line accepted
twice — finds the first and books nothing. A donation that is booked (by ``record`` or, for a
direct debit, ``book_pending``) asks for the donor's mail once its unit of work commits
(``THANK_JOB``, ``notify.thank``): rendered and queued after the commit, never inside it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core import audit, clock
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import ValidationError
from ..core.i18n import _, source
from ..core.money import Money
from ..core.queue import enqueue_on_commit
from ..core.settings import Settings
from ..core.signals import donation_reversed
from ..funds.fees import admin_fee_change_lines, admin_fee_lines, fee_for
from ..funds.models import IncomeKind
from ..ledger import reads
from ..ledger.services import Line, account_by_role, booking_date_for, post_entry, reverse_entry
from ..payments import settlement
from .models import (
    DONATION_STATES,
    LABELS,
    Channel,
    Donation,
    DonationKind,
    DonationStatus,
    Donor,
    InKindOrigin,
)

if TYPE_CHECKING:
    from ..ledger.chart import Fund

DONATION_INCOME, MEMBERSHIP_INCOME = "donation_income", "membership_income"
#: What receives the money of each channel (a gift in kind names its account; a waiver debits
#: the claim's payable).
RECEIVED_ON = {Channel.STRIPE: "stripe_balance", Channel.BANK: "bank", Channel.CASH: "cash",
               Channel.CHEQUE: "bank", Channel.WAIVER: "payables"}
#: The columns that name where a donation came from: each is unique.
SOURCE_REFS = ("stripe_checkout_session", "stripe_invoice", "stripe_payment_intent",
               "bank_line_id", "expense_claim_id")
#: The job that tells the donor of a booked gift (``notify.thank_job``).
THANK_JOB = "donations.thank"


@dataclass(frozen=True)
class InKind:
    description: str
    valuation_basis: str
    origin: InKindOrigin = InKindOrigin.UNKNOWN
    account_code: str = ""  # where the thing is booked (an expense it replaces, an asset)


@dataclass(frozen=True)
class Gift:
    """One donation to record: who gave what to which fund, when, how."""

    donor: Donor
    fund: Fund
    amount: Money
    day: date
    channel: Channel
    kind: DonationKind = DonationKind.MONEY
    receipt_wanted: bool = False
    public_name: str | None = None
    note: str = ""
    in_kind: InKind | None = None
    plan_id: int | None = None
    refs: dict = field(default_factory=dict)  # column -> value, of SOURCE_REFS and stripe_charge
    # Quid pro quo: goods or services given in return and their good-faith value (US).
    goods_description: str = ""
    goods_value: Money | None = None


def income_kind(kind: DonationKind) -> IncomeKind:
    return IncomeKind.MEMBERSHIP if kind is DonationKind.MEMBERSHIP_FEE else IncomeKind.DONATION


def _income_account(session: Session, kind: DonationKind):
    return account_by_role(session, MEMBERSHIP_INCOME if kind is DonationKind.MEMBERSHIP_FEE
                           else DONATION_INCOME)


def _check(gift: Gift) -> None:
    if gift.amount.amount <= 0:
        raise ValidationError(_("A donation is more than nothing."), field="amount")
    gift.amount.check_size()
    if not gift.fund.active:
        raise ValidationError(_("Fund %(code)s is closed.", code=gift.fund.code), field="fund")
    if gift.donor.merged_into_id is not None:
        raise ValidationError(_("Donor %(ref)s was merged into another.", ref=gift.donor.ref),
                              field="donor")
    if (gift.kind is DonationKind.IN_KIND) != (gift.in_kind is not None):
        raise ValidationError(_("A gift in kind needs its description and valuation, and only a "
                                "gift in kind has them."), field="kind")
    if gift.in_kind is not None and not (gift.in_kind.description.strip()
                                         and gift.in_kind.valuation_basis.strip()):
        raise ValidationError(_("Describe the gift and how its value was found."),
                              field="in_kind_description")
    if gift.kind is DonationKind.WAIVED_REIMBURSEMENT and gift.channel is not Channel.WAIVER:
        raise ValidationError(_("A waived reimbursement comes from an expense claim."), field="kind")
    _check_goods(gift)
    public = (gift.public_name or "").strip()
    if len(public) > 100:
        raise ValidationError(_("The public name is longer than 100 characters."),
                              field="public_name")


def _check_goods(gift: Gift) -> None:
    """What the donor received in return is worth nothing up to the whole gift, in its
    currency, and is described when it is worth something."""
    value = gift.goods_value
    if value is None or not value.amount:
        if value is None and gift.goods_description.strip():
            raise ValidationError(_("Give the good-faith value of what the donor received."),
                                  field="goods_value")
        return
    if value.currency != gift.amount.currency:
        raise ValidationError(_("The value of what the donor received is in %(currency)s, as "
                                "the gift.", currency=gift.amount.currency), field="goods_value")
    if not 0 <= value.amount <= gift.amount.amount:
        raise ValidationError(_("What the donor received is worth between nothing and the gift."),
                              field="goods_value")
    if not gift.goods_description.strip():
        raise ValidationError(_("Describe the goods or services the donor received."),
                              field="goods_description")


def existing(session: Session, refs: dict) -> Donation | None:
    """The donation recorded already from any of these source references."""
    conditions = [getattr(Donation, column) == value for column, value in refs.items()
                  if column in SOURCE_REFS and value is not None]
    if not conditions:
        return None
    return session.scalar(select(Donation).where(or_(*conditions)).limit(1))


def lines_for(session: Session, donation: Donation, *, debit=None,
              movement: settlement.Movement | None = None, sign: int = 1,
              amount: Money | None = None) -> list[Line]:
    """The entry's lines: what received the gift (``debit``, an account, or the Stripe
    ``movement``; neither: the caller adds it, as a bank match does), the income and the admin
    fee. ``sign=-1`` takes back what is left of it (a refund, a lost dispute: ``movement`` is
    then Stripe's money going out); ``amount`` (negative) takes back that part only (a partial
    refund)."""
    fund = donation.fund
    if amount is None:
        amount = Money(donation.amount if sign > 0 else -donation.net, donation.currency)
    memo = f"{donation.ref} {source(LABELS[donation.channel])}"[:200]
    lines: list[Line] = []
    if movement is not None:
        booked = settlement.parts(movement, amount, what=memo)
        roles = {part.role for part in booked} - {settlement.COUNTER}
        accounts = {role: account_by_role(session, role) for role in roles}
        lines += [Line(accounts[part.role], fund, part.amount, part.memo[:200])
                  for part in booked if part.role != settlement.COUNTER]
    elif debit is not None:
        lines.append(Line(debit, fund, amount, memo))
    lines.append(Line(_income_account(session, donation.kind), fund, -amount, memo))
    if pays_admin_fee(donation):
        lines += _admin_fee_lines(session, donation, amount, movement)
    return lines


def _admin_fee_lines(session: Session, donation: Donation, amount: Money,
                     movement: settlement.Movement | None) -> list[Line]:
    """The admin fee on the gift, or what of it comes back with income taken back: the fee on
    what is left after less the fee on what was there before (so refunds in several steps give
    back exactly the fee taken). Converted by Stripe: the fee moves on what Stripe moved."""
    kind, fund = income_kind(donation.kind), donation.fund
    if amount.amount > 0 or (movement is not None and movement.amount.currency != amount.currency):
        return admin_fee_lines(session, fund=fund, kind=kind, amount=fee_base(
            donation, movement, amount=amount), day=donation.donated_on)
    before = Money(donation.net, donation.currency)
    return admin_fee_change_lines(session, fund=fund, kind=kind, before=before,
                                  after=before + amount, day=donation.donated_on)


def fee_base(donation: Donation, movement: settlement.Movement | None, sign: int = 1,
             amount: Money | None = None) -> Money:
    """What the admin fee is taken from: the gift, or, when Stripe converted it into another
    currency, what arrived (the fund holds that currency, not the donor's)."""
    if movement is not None and movement.amount.currency != donation.currency:
        return movement.amount
    return amount if amount is not None else Money(sign * donation.amount, donation.currency)


def pays_admin_fee(donation: Donation) -> bool:
    """The admin fee is taken from money: a gift in kind brings none into the fund (its value
    is booked on what it replaces), so it pays no fee."""
    return donation.kind is not DonationKind.IN_KIND


def record(session: Session, gift: Gift, *, actor: Actor, debit=None,
           movement: settlement.Movement | None = None,
           status: DonationStatus = DonationStatus.BOOKED,
           post: bool = True, looked_up: bool = False) -> tuple[Donation, bool]:
    """Record (and, unless ``status`` is pending, book) a donation; (donation, created). When
    one of its source references is recorded already — also by a concurrent transaction — that
    donation is returned and nothing is written. ``post=False``: booked in an entry the caller
    posts (a bank match's), which sets ``journal_entry_id``. ``looked_up``: the caller found no
    donation for these references (``existing``) in this transaction just before; a concurrent
    one is still found by the unique columns."""
    _check(gift)
    found = None if looked_up else existing(session, gift.refs)
    if found is not None:
        return found, False
    in_kind = gift.in_kind
    donation = Donation(
        donor_id=gift.donor.id, fund_id=gift.fund.id, amount=gift.amount.amount,
        currency=gift.amount.currency, donated_on=gift.day, channel=gift.channel,
        kind=gift.kind, status=status, receipt_wanted=gift.receipt_wanted,
        public_name=(gift.public_name or "").strip() or None, note=gift.note.strip(),
        in_kind_description=in_kind.description.strip() if in_kind else "",
        valuation_basis=in_kind.valuation_basis.strip() if in_kind else "",
        in_kind_origin=in_kind.origin if in_kind else None,
        recurring_plan_id=gift.plan_id, created_by_id=getattr(actor, "id", None), fund=gift.fund,
        goods_description=gift.goods_description.strip() if gift.goods_value else "",
        goods_value=gift.goods_value.amount if gift.goods_value else 0, **gift.refs)
    try:
        with session.begin_nested():
            session.add(donation)
            session.flush()
    except IntegrityError:
        found = existing(session, gift.refs)
        if found is None:
            raise
        return found, False
    if status is DonationStatus.BOOKED:
        if post:
            _post(session, donation, actor=actor, debit=debit, movement=movement)
        enqueue_on_commit(session, THANK_JOB, donation_id=donation.id)
    audit.record(session, actor, "donation.recorded", "donation", donation.id,
                 summary=f"{donation.ref} {gift.amount} from {gift.donor.ref} to "
                         f"{gift.fund.code} ({gift.channel.value}, {status.value})")
    return donation, True


def _post(session: Session, donation: Donation, *, actor: Actor, debit=None,
          movement: settlement.Movement | None = None) -> None:
    if debit is None and movement is None:
        debit = account_by_role(session, RECEIVED_ON[donation.channel])
    lines = lines_for(session, donation, debit=debit, movement=movement)
    entry = post_entry(
        session, booking_date=booking_date_for(session, donation.donated_on), actor=actor,
        description=f"Donation {donation.ref} ({source(LABELS[donation.channel])})",
        source=("donation", donation.id), lines=lines)
    donation.journal_entry_id = entry.id
    if movement is not None:
        donation.fee, donation.fee_currency = movement.fee.amount, movement.fee.currency
        donation.stripe_balance_transaction = movement.id
    # From the lines posted (the ledger adds interfund lines only): reading the entry's postings
    # back would flush the donation first, in an UPDATE of its own.
    expense = account_by_role(session, "admin_fee_expense").id
    donation.admin_fee = sum(line.amount.amount for line in lines if line.account.id == expense) * (
        1 if pays_admin_fee(donation) else 0)
    session.flush()


def admin_fee_of(session: Session, donation: Donation,
                 movement: settlement.Movement | None = None) -> int:
    """The admin fee the donation paid (0 for gifts in kind)."""
    if not pays_admin_fee(donation):
        return 0
    return fee_for(session, donation.fund, income_kind(donation.kind),
                   fee_base(donation, movement), donation.donated_on).amount


def book_pending(session: Session, donation: Donation, *, movement: settlement.Movement | None,
                 actor: Actor = None) -> bool:
    """A pending donation (SEPA Direct Debit) whose money arrived: booked now, once."""
    if donation.status is DonationStatus.BOOKED:
        return False
    DONATION_STATES.apply(donation, "book")
    _post(session, donation, actor=actor, movement=movement)
    enqueue_on_commit(session, THANK_JOB, donation_id=donation.id)
    return True


def fail_pending(session: Session, donation: Donation, *, reason: str) -> bool:
    if donation.status is not DonationStatus.PENDING:
        return False
    DONATION_STATES.apply(donation, "fail")
    donation.reversal_reason = reason[:200]
    session.flush()
    return True


def reverse(session: Session, donation: Donation, *, actor: Actor, reason: str, settings: Settings,
            movement: settlement.Movement | None = None, day: date | None = None,
            credit=None) -> bool:
    """Take a booked donation back, once: a refund or a lost dispute books Stripe's movement
    out (``movement``; the fee Stripe kept on the payment stays a cost), a lost dispute whose
    money was withdrawn already takes it from ``credit`` (the disputed funds), a correction
    reverses the entry (or, after a partial refund, takes back what is left). The admin fee comes back with the income. ``donation_reversed`` tells the
    receipts. False if it was reversed already."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the donation is reversed."), field="reason")
    if donation.status is DonationStatus.REVERSED:
        return False
    DONATION_STATES.check(donation, "reverse")
    day = day or clock.today()
    if movement is not None or donation.refunded or credit is not None:
        # What is left (a partial refund took the rest back already), from ``credit`` (where a
        # lost dispute's money went) or what received it.
        debit = None if movement is not None else credit or account_by_role(
            session, RECEIVED_ON.get(donation.channel, "bank"))
        entry = post_entry(
            session, booking_date=booking_date_for(session, day), actor=actor,
            description=f"Donation {donation.ref} reversed: {reason}"[:500],
            source=("donation", donation.id),
            lines=lines_for(session, donation, movement=movement, debit=debit, sign=-1))
    else:
        entry = reverse_entry(session, reads.entry(session, donation.journal_entry_id),
                              actor=actor, reason=f"{donation.ref}: {reason}",
                              booking_date=booking_date_for(session, day))
    DONATION_STATES.apply(donation, "reverse")
    donation.reversal_entry_id = entry.id
    donation.reversed_at = utcnow()
    donation.reversal_reason = reason[:200]
    session.flush()
    donation_reversed.send(donation, session=session, actor=actor, reason=reason,
                           settings=settings)
    audit.record(session, actor, "donation.reversed", "donation", donation.id,
                 summary=f"{donation.ref}: {reason}")
    return True
