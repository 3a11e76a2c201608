"""What one Stripe balance transaction moved, as the lines of a ledger entry: the one place that
decides how Stripe money is booked — payments, fees that arrive late, refunds and their failure,
disputes (withdrawal, fee, reinstatement) and payouts all go through ``parts``.

A balance transaction is in the currency the Stripe account settles in (``amount`` into the
Stripe balance, ``fee`` kept by Stripe, ``exchange_rate`` when Stripe converted). What it settles
— an invoice's receivable, the bank account of a payout — has its own currency and amount:
the charge, refund or dispute amount as Stripe reports it (``settles``). So a USD invoice paid
to an account that settles in EUR books, in one entry:

    USD   Cr receivables                1,500.00   (the invoice is settled in its currency)
          Dr currency exchange          1,500.00
    EUR   Cr currency exchange          1,380.00   (what Stripe moved, at its rate 0.92)
          Dr Stripe balance             1,380.00
          Dr payment fees                  47.17   (Stripe's fee, in the balance's currency)
          Cr Stripe balance                47.17

Each currency balances on its own (the ledger's rule, also per fund: every line is in the same
fund). The currency exchange account carries both currencies' sides of every conversion: its USD
and EUR balances, valued at any one rate, are the realised exchange gain or loss (a refund or a
dispute converted back at another rate leaves exactly that difference on it). The rate is kept
on the entry, in the exchange lines' memo.

Rounding rule: nothing is converted here. Both sides are amounts Stripe reports in whole minor
units, so booking never rounds. The rate written on the entry is Stripe's ``exchange_rate``;
when Stripe gives none, it is the quotient of the two amounts (major units of the settlement
currency per major unit of the settled one), rounded once to ``RATE_PLACES`` decimal places, half
away from zero — for reading, never for computing an amount.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ..core.errors import ValidationError
from ..core.i18n import _
from ..core.money import Money

STRIPE_BALANCE, PAYMENT_FEES, FX = "stripe_balance", "payment_fees", "fx_result"
#: The other side of the movement: receivables (payments, refunds, disputes), the bank
#: (payouts), or the Stripe balance in another currency (a payment booked before Stripe said
#: in which currency it settled). The caller names the account.
COUNTER = "counter"
RATE_PLACES = 6


@dataclass(frozen=True)
class Movement:
    """One Stripe balance transaction: ``amount`` into the Stripe balance (negative: out of it)
    and ``fee`` kept by Stripe (positive: a cost), both in the transaction's currency;
    ``rate`` is Stripe's ``exchange_rate`` where it converted."""

    id: str | None
    amount: Money
    fee: Money
    rate: Decimal | None = None

    def __post_init__(self):
        if self.fee.currency != self.amount.currency:
            raise ValidationError(_("Balance transaction %(id)s: its fee is in %(currency)s, its amount in %(currency2)s.", id=self.id, currency=self.fee.currency, currency2=self.amount.currency))

    @classmethod
    def from_stripe(cls, txn: dict) -> Movement:
        currency = str(txn.get("currency") or "").upper()
        return cls(id=txn.get("id"), amount=Money(int(txn.get("amount") or 0), currency),
                   fee=Money(int(txn.get("fee") or 0), currency),
                   rate=parse_rate(txn.get("exchange_rate")))

    @classmethod
    def unconverted(cls, txn_id: str | None, amount: Money) -> Movement:
        """Money that stays in its currency and costs no fee (a payout; a payment whose
        balance transaction Stripe has not created yet)."""
        return cls(txn_id, amount, Money.zero(amount.currency))


@dataclass(frozen=True)
class Part:
    """A line of the entry: ``role`` is an account role, or ``COUNTER`` for the caller's."""

    role: str
    amount: Money
    memo: str


def parse_rate(value: object) -> Decimal | None:
    """Stripe's ``exchange_rate`` (a JSON number, or null) as an exact Decimal of what it sent."""
    if value in (None, ""):
        return None
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(_("%(value)s is not an exchange rate.", value=repr(value))) from None
    if not rate.is_finite() or rate <= 0:
        raise ValidationError(_("%(value)s is not an exchange rate.", value=repr(value)))
    return rate


def implied_rate(settles: Money, moved: Money) -> Decimal:
    """Major units of ``moved`` per major unit of ``settles``, to ``RATE_PLACES`` decimal
    places, half away from zero (the rounding rule above)."""
    if not settles.amount:
        raise ValidationError(_("No rate for a movement that settles nothing."))
    exact = abs(moved.to_decimal()) / abs(settles.to_decimal())
    return exact.quantize(Decimal(1).scaleb(-RATE_PLACES), rounding=ROUND_HALF_UP)


def rate_text(settles: Money, moved: Money, rate: Decimal | None) -> str:
    """"1500.00 USD = 1380.00 EUR at 0.92" — how an exchange is written on the entry."""
    rate = rate if rate is not None else implied_rate(settles, moved)
    return f"{abs(settles)} = {abs(moved)} at {rate.normalize():f}"


def parts(movement: Movement, settles: Money | None, *, what: str = "") -> list[Part]:
    """The lines that book ``movement`` against what it ``settles`` on the counter side.

    ``settles`` has the sign of the movement (a payment in: positive; a refund, a dispute's
    withdrawal or a payout out: negative) and is credited to the counter account; ``None``
    books the fee alone (a balance transaction whose money was booked already). Every currency
    of the result sums to zero.
    """
    label = what or movement.id or "Stripe"
    lines: list[Part] = []
    moved = movement.amount
    if settles is not None and settles.amount:
        if not moved.amount or (moved.amount > 0) != (settles.amount > 0):
            raise ValidationError(_("%(label)s: Stripe moved %(moved)s for %(settles)s.", label=label, moved=moved, settles=settles))
        lines.append(Part(STRIPE_BALANCE, moved, label))
        lines.append(Part(COUNTER, -settles, label))
        if settles.currency != moved.currency:
            rate = rate_text(settles, moved, movement.rate)
            memo = f"{label}: {rate}"
            lines += [Part(FX, settles, memo), Part(FX, -moved, memo)]
        elif settles != moved:
            raise ValidationError(_("%(label)s: Stripe moved %(moved)s for %(settles)s in the same currency.", label=label, moved=moved, settles=settles))
    if movement.fee.amount:
        fee_memo = f"Fee {label}"
        lines += [Part(PAYMENT_FEES, movement.fee, fee_memo),
                  Part(STRIPE_BALANCE, -movement.fee, fee_memo)]
    return lines
