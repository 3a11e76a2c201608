"""Bank lines that do not match their items exactly, and what the treasurer may do about it.

A line that pays **more** than the chosen items ask (330.00 for a 300.00 invoice) settles them and
puts the rest where the treasurer says: a credit on the sponsor's account (invoices only; see
``invoicing.credits``), another open item (choose it as a further item of the match), or an
account and fund (``How.ACCOUNT``: other income for money in, bank charges for a payout debit
that was larger than its batch).

A line that pays **less** (295.00 for 300.00, the payer's bank kept a charge) either leaves the
rest open (``How.OPEN``, an instalment: what a plain match does) or writes it off
(``How.WRITE_OFF``, to bank charges unless another account is given). Differences up to
``BANK_SMALL_DIFFERENCE_LIMIT`` are offered as a write-off first and one treasurer may write them
off at once; a larger write-off waits for a second approver (``write_offs.py``) while the rest
stays open, as money out needs two people above its limit.

Pure: no database, no Flask besides reading the configured limit.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ..core.i18n import _
from ..core.money import Money


class How(StrEnum):
    CREDIT = "credit"        # the rest: a credit for the sponsor of the invoice(s)
    ACCOUNT = "account"      # the rest: to an account and fund
    OPEN = "open"            # the shortfall: stays open on the item
    WRITE_OFF = "write_off"  # the shortfall: written off (bank charges)


@dataclass(frozen=True)
class Difference:
    """What to do with a difference between the lines and the items of a match."""

    how: How
    account: object | None = None   # ledger Account for ACCOUNT (required) and WRITE_OFF
    fund: object | None = None      # ledger Fund; default: the item's fund, else general
    override_reason: str | None = None  # a write-off that takes a fund below zero


def small_difference_limit(limit: Decimal, currency: str) -> Money:
    """The limit (``Settings.banking.small_difference_limit``, major units) in ``currency``."""
    return Money.from_decimal(limit, currency)


def is_small(difference: Money, limit: Decimal) -> bool:
    return abs(difference.amount) <= small_difference_limit(limit, difference.currency).amount


@dataclass(frozen=True)
class Choice:
    """One way of accepting a suggestion whose amount differs, as the queue offers it."""

    how: How
    label: str
    note: str = ""


def choices(line_amount: int, open_amount: int, currency: str, *, limit: Decimal,
            sponsor: str = "", approvable: bool = True, locale: str = "en_IE") -> list[Choice]:
    """The ways to accept a line of ``line_amount`` for one item with ``open_amount`` open, best
    first; [] when the amounts agree or go in different directions. ``limit``: the largest
    write-off one treasurer may make (major units); ``approvable``: whether a write-off above it
    can wait for a second approver (items whose provider posts); ``locale``: how the amounts are
    written (the reader's)."""
    if line_amount == open_amount or (line_amount > 0) != (open_amount > 0):
        return []
    difference = Money(abs(line_amount - open_amount), currency)
    if abs(line_amount) > abs(open_amount):
        if sponsor:
            return [Choice(How.CREDIT, _("%(amount)s as credit for %(sponsor)s",
                                         amount=difference.format(locale), sponsor=sponsor),
                           _("settles the invoice; the rest is set off against a later invoice "
                             "or paid back"))]
        return []
    write_off = Choice(How.WRITE_OFF, _("write off %(amount)s as bank charges",
                                        amount=difference.format(locale)))
    leave_open = Choice(How.OPEN, _("leave %(amount)s open", amount=difference.format(locale)))
    limit = small_difference_limit(limit, currency)
    if difference.amount <= limit.amount:
        return [Choice(write_off.how, write_off.label,
                       _("%(amount)s is within the %(limit)s limit for small differences",
                         amount=difference.format(locale), limit=limit.format(locale))), leave_open]
    if not approvable:
        return [leave_open]
    return [leave_open, Choice(write_off.how, write_off.label,
                               _("above the %(limit)s limit: a second approver decides",
                                 limit=limit.format(locale)))]
