"""Donors, their donations and recurring plans.

A ``Donation`` is one gift, however it arrived: its ``channel`` says how the money (or the thing)
came, its ``kind`` what it is for the receipt (money, membership fee, in kind, a waived
reimbursement). Each source reference is unique, so a webhook, a bank line or an expense claim can
become a donation at most once, whatever the order or the number of times it is told.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import BigIntKey, UTCDateTime, string_enum, utcnow
from ..core.i18n import _, _l
from ..core.money import Money
from ..core.states import StateMachine, rows
from ..extensions import db


class DonorKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"

    @property
    def label(self) -> str:
        return str(LABELS[self])


class Language(StrEnum):
    EN = "en"
    DE = "de"


class Channel(StrEnum):
    STRIPE = "stripe"      # card or SEPA Direct Debit through Stripe Checkout
    BANK = "bank"          # a bank transfer, matched from a statement line
    CASH = "cash"
    CHEQUE = "cheque"
    WAIVER = "waiver"      # an approved expense claim waived by its claimant: no cash moves
    IN_KIND = "in_kind"    # a thing or a service given, at its value

    @property
    def label(self) -> str:
        return str(LABELS[self])


class DonationKind(StrEnum):
    """What the gift is on a receipt (the model texts differ)."""

    MONEY = "money"                  # Geldzuwendung
    MEMBERSHIP_FEE = "membership"    # Mitgliedsbeitrag
    IN_KIND = "in_kind"              # Sachzuwendung
    WAIVED_REIMBURSEMENT = "waiver"  # Geldzuwendung with "Verzicht auf Erstattung von Aufwendungen: ja"

    @property
    def label(self) -> str:
        return str(LABELS[self])


class InKindOrigin(StrEnum):
    """Where a gift in kind came from, as the German model receipt asks."""

    BUSINESS = "business"  # from business assets (valued at the withdrawal value)
    PRIVATE = "private"    # from private assets
    UNKNOWN = "unknown"    # the donor gave no information on the origin

    @property
    def label(self) -> str:
        return str(LABELS[self])


class DonationStatus(StrEnum):
    PENDING = "pending"    # paid by SEPA Direct Debit, not yet settled: nothing booked
    BOOKED = "booked"      # in the books (journal_entry_id)
    FAILED = "failed"      # the pending payment failed: nothing was booked
    REVERSED = "reversed"  # refunded or a dispute lost: reversal_entry_id undoes the booking

    @property
    def label(self) -> str:
        return str(LABELS[self])


_D = DonationStatus
#: Why an action is refused, a whole sentence each (the status in the reader's language).
_DONATION_REFUSED = {
    "book": lambda **v: _("Donation %(ref)s cannot be booked: its status is %(status)s.", **v),
    "fail": lambda **v: _("Donation %(ref)s cannot fail: its status is %(status)s.", **v),
    "reverse": lambda **v: _("Donation %(ref)s cannot be reversed: its status is %(status)s.",
                             **v),
    "rebook": lambda **v: _("Donation %(ref)s cannot be booked again: its status is %(status)s.",
                            **v),
}
DONATION_STATES: StateMachine[DonationStatus] = StateMachine(rows(
    ([_D.PENDING], "book", _D.BOOKED),
    ([_D.PENDING], "fail", _D.FAILED),
    ([_D.BOOKED], "reverse", _D.REVERSED),
    # A refund that had reversed it failed: the money is back (``refunds._rebook``).
    ([_D.REVERSED], "rebook", _D.BOOKED),
), refused=lambda d, action: _DONATION_REFUSED[action](ref=d.ref, status=d.status.label.lower()),
    already=lambda d, action: (_("Donation %(ref)s is already %(status)s; nothing was changed.",
                                 ref=d.ref, status=d.status.label.lower())
                               if action in ("book", "reverse", "fail") else None))


class PlanInterval(StrEnum):
    MONTH = "month"
    YEAR = "year"

    @property
    def label(self) -> str:
        return str(LABELS[self])


class PlanStatus(StrEnum):
    PENDING = "pending"      # checkout started, no subscription yet
    ACTIVE = "active"
    PAST_DUE = "past_due"    # the last payment failed; Stripe retries
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(LABELS[self])


#: What each kind, channel and state is called on the pages (in the reader's language);
#: stored records (memos, audit summaries) take the English: ``i18n.source(LABELS[...])``.
LABELS = {
    DonorKind.PERSON: _l("A person"), DonorKind.ORGANISATION: _l("An organisation"),
    Channel.STRIPE: _l("Stripe"), Channel.BANK: _l("Bank"), Channel.CASH: _l("Cash"),
    Channel.CHEQUE: _l("Cheque"), Channel.WAIVER: _l("Waiver"), Channel.IN_KIND: _l("In kind"),
    DonationKind.MONEY: _l("Money"), DonationKind.MEMBERSHIP_FEE: _l("Membership fee"),
    DonationKind.IN_KIND: _l("Gift in kind"),
    DonationKind.WAIVED_REIMBURSEMENT: _l("Waived reimbursement"),
    InKindOrigin.BUSINESS: _l("business assets (withdrawal value)"),
    InKindOrigin.PRIVATE: _l("private assets"), InKindOrigin.UNKNOWN: _l("the donor did not say"),
    DonationStatus.PENDING: _l("Pending"), DonationStatus.BOOKED: _l("Booked"),
    DonationStatus.FAILED: _l("Failed"), DonationStatus.REVERSED: _l("Reversed"),
    PlanInterval.MONTH: _l("Monthly"), PlanInterval.YEAR: _l("Yearly"),
    PlanStatus.PENDING: _l("Pending"), PlanStatus.ACTIVE: _l("Active"),
    PlanStatus.PAST_DUE: _l("Payment failed"), PlanStatus.CANCELLED: _l("Cancelled"),
}


_P = PlanStatus
_PLAN_REFUSED = {
    "activate": lambda **v: _("Plan %(ref)s cannot become active: its status is %(status)s.",
                              **v),
    "payment_failed": lambda **v: _("Plan %(ref)s takes no failed payment: its status is "
                                    "%(status)s.", **v),
    "cancel": lambda **v: _("Plan %(ref)s cannot be cancelled: its status is %(status)s.", **v),
}
PLAN_STATES: StateMachine[PlanStatus] = StateMachine(rows(
    ([_P.PENDING, _P.PAST_DUE], "activate", _P.ACTIVE),
    ([_P.ACTIVE, _P.PENDING], "payment_failed", _P.PAST_DUE),
    ([_P.PAST_DUE], "payment_failed", _P.PAST_DUE),
    ([_P.PENDING, _P.ACTIVE, _P.PAST_DUE], "cancel", _P.CANCELLED),
), refused=lambda p, action: _PLAN_REFUSED[action](ref=p.ref, status=p.status.label),
    already=lambda p, action: (_("Plan %(ref)s is already cancelled; nothing was changed.",
                                 ref=p.ref) if action == "cancel" else None))


class Donor(db.Model):
    """A person or an organisation that gave, however they gave; found again by email and IBAN.
    A donor merged into another keeps its row (``merged_into_id``) so old links still resolve."""

    __tablename__ = "donors"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DonorKind] = mapped_column(string_enum(DonorKind, "donor_kind"),
                                            default=DonorKind.PERSON)
    name: Mapped[str] = mapped_column(String(200))
    # Postal address: required before a receipt can be issued.
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="")  # ISO 3166-1 alpha-2
    email: Mapped[str | None] = mapped_column(String(254), index=True)  # lower case
    language: Mapped[Language] = mapped_column(string_enum(Language, "donor_language"),
                                               default=Language.EN)
    consent_thanks: Mapped[bool] = mapped_column(Boolean, default=True)   # thank-you mail
    consent_public: Mapped[bool] = mapped_column(Boolean, default=False)  # public donor list
    notes: Mapped[str] = mapped_column(Text, default="")
    stripe_customer: Mapped[str | None] = mapped_column(String(255), unique=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ibans = relationship("DonorIban", back_populates="donor", order_by="DonorIban.id")

    __table_args__ = (CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id",
                                      name="not_merged_into_itself"),)

    @property
    def ref(self) -> str:
        return f"DN-{self.id:05d}"

    @property
    def has_postal_address(self) -> bool:
        return bool(self.street.strip() and self.postcode.strip() and self.city.strip())

    @property
    def address_lines(self) -> list[str]:
        lines = [self.street, f"{self.postcode} {self.city}".strip(), self.country]
        return [line for line in lines if line and line.strip()]


class DonorIban(db.Model):
    """An account a donor gave from (seen on a bank line or given by hand): one donor per IBAN."""

    __tablename__ = "donor_ibans"

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    iban: Mapped[str] = mapped_column(String(34), unique=True)  # compact, upper case
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    donor = relationship("Donor", back_populates="ibans")


class DonationPage(db.Model):
    """A fund's donation page (``/donate/<fund code>``), present only for funds that opted in."""

    __tablename__ = "donation_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    suggested_amounts: Mapped[str] = mapped_column(String(200), default="1000,2500,5000,10000")
    allow_recurring: Mapped[bool] = mapped_column(Boolean, default=True)
    public_donor_list: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    fund = relationship("Fund")

    @property
    def suggestions(self) -> list[int]:
        """The suggested amounts in minor units."""
        return [int(a) for a in self.suggested_amounts.split(",") if a.strip()]


class RecurringPlan(db.Model):
    """A monthly or yearly gift paid through a Stripe subscription; each paid invoice of the
    subscription is one ``Donation``."""

    __tablename__ = "recurring_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units per payment
    currency: Mapped[str] = mapped_column(String(3))
    interval: Mapped[PlanInterval] = mapped_column(string_enum(PlanInterval, "plan_interval"))
    status: Mapped[PlanStatus] = mapped_column(string_enum(PlanStatus, "plan_status"),
                                               default=PlanStatus.PENDING, index=True)
    stripe_subscription: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_customer: Mapped[str | None] = mapped_column(String(255))
    receipt_wanted: Mapped[bool] = mapped_column(Boolean, default=False)
    public_name: Mapped[str | None] = mapped_column(String(100))
    failed_payments: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")

    donor = relationship("Donor")
    fund = relationship("Fund")

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    @property
    def ref(self) -> str:
        return f"RP-{self.id:05d}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class DonationCheckout(db.Model):
    """A Checkout Session started from a donation page, with what the donor typed: the webhook that
    reports it paid finds the donor's details and the fund here (never in Stripe's metadata)."""

    __tablename__ = "donation_checkouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_id: Mapped[str] = mapped_column(String(255), unique=True)  # cs_...
    # Random, in the session's and the subscription's metadata: how a subscription's events find
    # the checkout (and the donor's details) it came from.
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    url: Mapped[str | None] = mapped_column(Text)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    interval: Mapped[PlanInterval | None] = mapped_column(string_enum(PlanInterval,
                                                                      "checkout_interval"))
    donor_kind: Mapped[DonorKind] = mapped_column(string_enum(DonorKind, "checkout_donor_kind"),
                                                  default=DonorKind.PERSON)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    language: Mapped[Language] = mapped_column(string_enum(Language, "checkout_language"),
                                               default=Language.EN)
    receipt_wanted: Mapped[bool] = mapped_column(Boolean, default=False)
    public_name: Mapped[str | None] = mapped_column(String(100))
    consent_public: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, complete, expired
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("recurring_plans.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    fund = relationship("Fund")

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class Donation(db.Model):
    __tablename__ = "donations"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), active_history=True)
    # Minor units, what the donor gave.
    amount: Mapped[int] = mapped_column(BigInteger, active_history=True)
    # Given back by partial refunds (``DonationRefund``), in the donation's currency: the gift
    # now counts (in the totals, on a receipt) as ``net``.
    refunded: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0",
                                          active_history=True)
    currency: Mapped[str] = mapped_column(String(3), active_history=True)
    # The day of the gift (Tag der Zuwendung).
    donated_on: Mapped[date] = mapped_column(Date, active_history=True)
    channel: Mapped[Channel] = mapped_column(string_enum(Channel, "donation_channel"),
                                               active_history=True)
    kind: Mapped[DonationKind] = mapped_column(string_enum(DonationKind, "donation_kind"),
                                               default=DonationKind.MONEY)
    status: Mapped[DonationStatus] = mapped_column(string_enum(DonationStatus, "donation_status"),
                                                   default=DonationStatus.BOOKED,
                                                   active_history=True)
    # Gifts in kind: what it was, how its value was found, whose assets it came from.
    in_kind_description: Mapped[str] = mapped_column(Text, default="")
    valuation_basis: Mapped[str] = mapped_column(Text, default="")
    in_kind_origin: Mapped[InKindOrigin | None] = mapped_column(string_enum(InKindOrigin,
                                                                            "in_kind_origin"))
    receipt_wanted: Mapped[bool] = mapped_column(Boolean, default=False)
    public_name: Mapped[str | None] = mapped_column(String(100))  # None: anonymous on the list
    note: Mapped[str] = mapped_column(Text, default="")
    # Quid pro quo (a US acknowledgment discloses it): goods or services the donor received in
    # return and their good-faith value, in minor units of the donation's currency.
    goods_description: Mapped[str] = mapped_column(Text, default="", server_default="")
    goods_value: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The booking (the ledger's entries) and its undoing.
    journal_entry_id: Mapped[int | None] = mapped_column(BigIntKey,
                                                         ForeignKey("journal_entries.id"))
    reversal_entry_id: Mapped[int | None] = mapped_column(BigIntKey,
                                                          ForeignKey("journal_entries.id"))
    fee: Mapped[int] = mapped_column(BigInteger, default=0)  # Stripe's fee, booked as a cost
    fee_currency: Mapped[str | None] = mapped_column(String(3))
    # To the general fund: in the donation's currency, or in ``fee_currency`` when Stripe
    # converted the gift (the fee is taken from what arrived).
    admin_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversal_reason: Mapped[str] = mapped_column(String(200), default="")
    # Where it came from: each at most once.
    recurring_plan_id: Mapped[int | None] = mapped_column(ForeignKey("recurring_plans.id"),
                                                          index=True, active_history=True)
    stripe_checkout_session: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_invoice: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_charge: Mapped[str | None] = mapped_column(String(255), index=True)
    # The charge's balance transaction the booking went by (None: booked before Stripe made
    # it; its fee is booked when it arrives, ``stripe_money.book_late_fee``).
    stripe_balance_transaction: Mapped[str | None] = mapped_column(String(255))
    bank_line_id: Mapped[int | None] = mapped_column(ForeignKey("bank_lines.id"), unique=True)
    expense_claim_id: Mapped[int | None] = mapped_column(ForeignKey("expense_claims.id"),
                                                         unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the donor was told of the booked gift (``notify.thank``: set once, by the mail's
    # unit of work, also when nothing was sent because the donor declined or has no e-mail).
    thanked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    donor = relationship("Donor")
    fund = relationship("Fund")
    plan = relationship("RecurringPlan")

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded >= 0 AND refunded <= amount", name="refunded_within_amount"),
        CheckConstraint("goods_value >= 0 AND goods_value <= amount AND (goods_value = 0 OR "
                        "goods_description <> '')", name="goods_within_amount"),
        CheckConstraint("kind <> 'in_kind' OR (in_kind_description <> '' AND "
                        "valuation_basis <> '')", name="in_kind_described"),
        # The list's order (newest first, keyset on (day, id)) within one fund.
        Index("ix_donations_fund_date", "fund_id", "donated_on", "id"),
        Index("ix_donations_date", "donated_on", "id"),
    )

    @property
    def ref(self) -> str:
        return f"DON-{self.id:06d}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def net(self) -> int:
        """What the gift is worth now: the amount less what was refunded in part."""
        return self.amount - (self.refunded or 0)

    @property
    def waived(self) -> bool:
        """Whether the receipt says "Verzicht auf Erstattung von Aufwendungen: ja"."""
        return self.kind is DonationKind.WAIVED_REIMBURSEMENT


class RefundStatus(StrEnum):
    BOOKED = "booked"      # booked (journal_entry_id): the donation's net is less by it
    REFUSED = "refused"    # not booked: more than was left, another currency, or the donation
    #                        was not booked (the note says which; for the treasurer)
    FAILED = "failed"      # booked, then Stripe reported it failed: reversal_entry_id undoes it

    @property
    def label(self) -> str:
        return str(_REFUND_LABELS[self])


_REFUND_LABELS = {RefundStatus.BOOKED: _l("Booked"), RefundStatus.REFUSED: _l("Refused"),
                  RefundStatus.FAILED: _l("Failed")}


class DonationRefund(db.Model):
    """One Stripe refund of a donation's payment, recorded once (its id is unique) whatever the
    number or order of the events telling of it."""

    __tablename__ = "donation_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("donations.id"), index=True)
    stripe_refund: Mapped[str] = mapped_column(String(255), unique=True)  # re_...
    amount: Mapped[int] = mapped_column(BigInteger)  # positive, in ``currency``
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[RefundStatus] = mapped_column(string_enum(RefundStatus, "refund_status"))
    note: Mapped[str] = mapped_column(Text, default="")
    journal_entry_id: Mapped[int | None] = mapped_column(BigIntKey,
                                                         ForeignKey("journal_entries.id"))
    reversal_entry_id: Mapped[int | None] = mapped_column(BigIntKey,
                                                          ForeignKey("journal_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Money moved at Stripe that the books do not show as it happened (refused; failed after it
    # reversed the donation): waits for the treasurer until a ``RefundHandling`` says how.
    for_treasurer: Mapped[bool] = mapped_column(Boolean, default=False, index=True,
                                                server_default=false())

    handling = relationship("RefundHandling", uselist=False, back_populates="refund")

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class RefundHandling(db.Model):
    """How the treasurer handled a refund that waited for them (``for_treasurer``): written once,
    with a note; the refund then leaves the waiting work."""

    __tablename__ = "donation_refund_handlings"

    refund_id: Mapped[int] = mapped_column(ForeignKey("donation_refunds.id"), primary_key=True)
    note: Mapped[str] = mapped_column(Text)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    refund = relationship("DonationRefund", back_populates="handling")


class DonationStripeTransaction(db.Model):
    """A Stripe balance transaction booked for a donation besides its payment and refunds, once
    (its id is the key): a dispute's withdrawal (with Stripe's dispute fee) or reinstatement,
    or a payment's balance transaction that arrived after the payment was booked."""

    __tablename__ = "donation_stripe_transactions"

    balance_transaction: Mapped[str] = mapped_column(String(255), primary_key=True)  # txn_...
    donation_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("donations.id"), index=True)
    source: Mapped[str] = mapped_column(String(255))  # the dispute or charge it belongs to
    amount: Mapped[int] = mapped_column(BigInteger)   # into the Stripe balance (< 0: out)
    fee: Mapped[int] = mapped_column(BigInteger)      # kept by Stripe (< 0: given back)
    currency: Mapped[str] = mapped_column(String(3))  # the transaction's (settlement) currency
    journal_entry_id: Mapped[int | None] = mapped_column(BigIntKey,
                                                         ForeignKey("journal_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecurringFailure(db.Model):
    """A failed payment of a recurring plan (one per Stripe invoice), for the waiting work."""

    __tablename__ = "recurring_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("recurring_plans.id"), index=True)
    stripe_invoice: Mapped[str] = mapped_column(String(255), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text, default="")
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    told: Mapped[bool] = mapped_column(Boolean, default=False)  # the donor was mailed

    plan = relationship("RecurringPlan")


class DonationTotal(db.Model):
    """Booked donations added up per fund, calendar month, currency, channel and recurring or
    not: what the donations page totals, whatever the number of donations. Written in the flush
    that writes the donations (``totals.py``), recomputable from them at any time."""

    __tablename__ = "donation_totals"

    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first day
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    channel: Mapped[Channel] = mapped_column(string_enum(Channel, "donation_total_channel"),
                                             primary_key=True)
    recurring: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (Index("ix_donation_totals_month", "month", "fund_id"),)
