"""The ledger's rules: one small function per invariant, gathered in ``RULES``.

Each rule looks at one entry (a ``Draft``: about to be posted, or read back from the database)
and returns what is wrong with it, or None. Posting raises the first problem the rules find
(``check_entry``); ``backoffice ledger verify`` runs the rules that hold for stored entries on
every entry (``STORED``, in ``integrity``). No database, no app: the caller looks up what a rule needs (the closed
period the date falls in) and puts it in the draft. (Beancount's ``ops/validation.py`` keeps its
checks the same way.)
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from ..core.errors import ValidationError
from ..core.money import Money, known_currencies

if TYPE_CHECKING:
    from .chart import Account, Fund

INTERFUND_ROLE = "interfund"
MAX_DESCRIPTION = 500
MAX_MEMO = 200


class UnbalancedEntry(ValidationError):
    pass


class ClosedPeriod(ValidationError):
    pass


@dataclass(frozen=True)
class Line:
    """One line of an entry to post: a signed amount (debit > 0, credit < 0)."""

    account: Account
    fund: Fund
    amount: Money
    memo: str | None = None


class Amount(NamedTuple):
    """An amount read back from a posting, which may break what ``Money`` would refuse."""

    amount: int
    currency: str


@dataclass(frozen=True)
class Draft:
    """What the rules look at: an entry's date, description and lines, and what they need to know
    from elsewhere (the label of the closed period the date lies in, if any)."""

    booking_date: Any
    description: str
    lines: Sequence[Line]
    closed_period: str | None = None
    allow_interfund: bool = False  # reversals repeat the interfund lines of what they reverse


@dataclass(frozen=True)
class Problem:
    message: str
    error: type[ValidationError] = ValidationError
    field: str | None = None

    def exception(self) -> ValidationError:
        return self.error(self.message, field=self.field)


Check = Callable[[Draft], Problem | None]


@dataclass(frozen=True)
class Rule:
    check: Check
    stored: bool  # also holds for entries already posted: ``ledger verify`` checks it


def _first_line(draft: Draft, bad: Callable[[Line], str | None]) -> Problem | None:
    """The first line for which ``bad`` says what is wrong, as a problem naming the line."""
    for number, line in enumerate(draft.lines, 1):
        message = bad(line)
        if message:
            return Problem(f"Line {number}: {message}")
    return None


def _show(minor: int, currency: str) -> str:
    return str(Money(minor, currency)) if currency in known_currencies() else f"{minor} {currency}"


# --- the entry -------------------------------------------------------------------------------

def booking_date_given(draft: Draft) -> Problem | None:
    day = draft.booking_date
    if not isinstance(day, date) or isinstance(day, datetime):
        return Problem("Give the booking date.", field="booking_date")
    return None


def description_given(draft: Draft) -> Problem | None:
    if not (draft.description or "").strip():
        return Problem("Describe the entry.", field="description")
    return None


def description_short(draft: Draft) -> Problem | None:
    if len((draft.description or "").strip()) > MAX_DESCRIPTION:
        return Problem(f"The description is longer than {MAX_DESCRIPTION} characters.",
                       field="description")
    return None


def two_lines(draft: Draft) -> Problem | None:
    if len(draft.lines) < 2:
        return Problem("An entry needs at least two lines.")
    return None


# --- each line -------------------------------------------------------------------------------

def amounts_are_money(draft: Draft) -> Problem | None:
    return _first_line(draft, lambda line: None if isinstance(line.amount, Money)
                       else "the amount must be Money.")


def amounts_non_zero(draft: Draft) -> Problem | None:
    return _first_line(draft, lambda line: "the amount is zero." if line.amount.amount == 0 else None)


def _too_large(line: Line) -> str | None:
    try:
        line.amount.check_size()
    except ValidationError as error:
        return str(error)
    return None


def amounts_within_limit(draft: Draft) -> Problem | None:
    return _first_line(draft, _too_large)


def accounts_chosen(draft: Draft) -> Problem | None:
    return _first_line(draft, lambda line: "choose an account."
                       if line.account is None or line.account.id is None else None)


def funds_chosen(draft: Draft) -> Problem | None:
    return _first_line(draft, lambda line: "choose a fund."
                       if line.fund is None or line.fund.id is None else None)


def accounts_active(draft: Draft) -> Problem | None:
    return _first_line(draft, lambda line: None if line.account.active
                       else f"account {line.account.label} is inactive.")


def funds_active(draft: Draft) -> Problem | None:
    return _first_line(draft, lambda line: None if line.fund.active
                       else f"fund {line.fund.label} is inactive.")


def interfund_by_the_ledger(draft: Draft) -> Problem | None:
    if draft.allow_interfund:
        return None
    return _first_line(draft, lambda line: (
        f"{line.account.label} is kept by the ledger itself. Post to the funds involved and it "
        f"adds the interfund lines.") if line.account.role == INTERFUND_ROLE else None)


def memos_short(draft: Draft) -> Problem | None:
    return _first_line(draft, lambda line: f"the memo is longer than {MAX_MEMO} characters."
                       if line.memo is not None and len(line.memo) > MAX_MEMO else None)


def currencies_known(draft: Draft) -> Problem | None:
    return _first_line(draft, lambda line: None if line.amount.currency in known_currencies()
                       else f"unknown currency {line.amount.currency!r}.")


# --- the whole entry again -------------------------------------------------------------------

def balanced_per_currency(draft: Draft) -> Problem | None:
    debits: dict[str, int] = defaultdict(int)
    credits: dict[str, int] = defaultdict(int)
    for line in draft.lines:
        side = debits if line.amount.amount > 0 else credits
        side[line.amount.currency] += abs(line.amount.amount)
    for currency in sorted(set(debits) | set(credits)):
        if debits[currency] != credits[currency]:
            return Problem(
                f"The entry does not balance: debits {_show(debits[currency], currency)}, "
                f"credits {_show(credits[currency], currency)}, difference "
                f"{_show(debits[currency] - credits[currency], currency)}.", UnbalancedEntry)
    return None


def balanced_per_fund(draft: Draft) -> Problem | None:
    """Each fund balances on its own (the ledger adds the interfund lines that make it so)."""
    sums: dict[tuple[int, str], int] = defaultdict(int)
    labels: dict[int, str] = {}
    for line in draft.lines:
        sums[(line.fund.id, line.amount.currency)] += line.amount.amount
        labels[line.fund.id] = line.fund.label
    for (fund_id, currency), amount in sorted(sums.items()):
        if amount:
            return Problem(f"The entry does not balance in fund {labels[fund_id]}: off by "
                           f"{_show(amount, currency)}.", UnbalancedEntry)
    return None


def period_open(draft: Draft) -> Problem | None:
    if draft.closed_period is None:
        return None
    return Problem(
        f"The {draft.closed_period} is closed: nothing can be posted on "
        f"{draft.booking_date.isoformat()}. Choose a date in an open period, or ask the "
        f"treasurer to reopen the {draft.closed_period}.", ClosedPeriod, field="booking_date")


#: Every rule, in the order posting checks them (a rule may rely on the ones before it holding).
RULES: tuple[Rule, ...] = (
    Rule(booking_date_given, stored=False),
    Rule(description_given, stored=True),
    Rule(description_short, stored=True),
    Rule(two_lines, stored=True),
    Rule(amounts_are_money, stored=False),
    Rule(amounts_non_zero, stored=True),
    Rule(amounts_within_limit, stored=False),  # the limit may change; old entries stay
    Rule(accounts_chosen, stored=False),
    Rule(funds_chosen, stored=False),
    Rule(accounts_active, stored=False),       # an account may be deactivated after posting
    Rule(funds_active, stored=False),
    Rule(interfund_by_the_ledger, stored=False),
    Rule(memos_short, stored=True),
    Rule(currencies_known, stored=True),
    Rule(balanced_per_currency, stored=True),
    Rule(balanced_per_fund, stored=True),      # posting checks it once its interfund lines are in
    Rule(period_open, stored=False),           # a period is closed after its entries
)

#: What posting checks before the ledger adds its interfund lines (it checks the funds after).
POSTING = tuple(rule.check for rule in RULES if rule.check is not balanced_per_fund)
#: What holds for every stored entry.
STORED = tuple(rule.check for rule in RULES if rule.stored)


def first_problem(draft: Draft, checks: Sequence[Check] = POSTING) -> Problem | None:
    for check in checks:
        problem = check(draft)
        if problem is not None:
            return problem
    return None


def check_entry(draft: Draft) -> None:
    """Raise the first problem of an entry about to be posted."""
    problem = first_problem(draft)
    if problem is not None:
        raise problem.exception()

