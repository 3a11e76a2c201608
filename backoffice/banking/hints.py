"""Which account a bank line is likely booked to, when it is booked as an entry by hand.

Nothing is preselected by default: a wrong guess booked by a treasurer in a hurry is worse than
an empty choice. A line gets a suggestion, with the reason shown beside it, from (in order):
1. an active rule that applies to it (added after the line was imported);
2. the last line from the same counterparty (its IBAN, else its name) in the same direction that
   was booked as an entry and not undone: the account and fund that entry's counter-posting used;
3. the bank itself as the counterparty (no name, no IBAN): its charges (``bank_fees``) for money
   out, interest (``interest_income``) for money in.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..core.i18n import _
from ..ledger import reads
from .models import BankLine, BankMatch, BankMatchLine, BankRule
from .services import rule_applies


@dataclass(frozen=True)
class Hint:
    account_id: int
    fund_id: int | None
    reason: str


@dataclass(frozen=True)
class Booked:
    """An earlier line booked as an entry: who, which way, where to."""

    iban: str
    name: str
    incoming: bool
    account_id: int
    fund_id: int
    on: date


def _key(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def choose(line: BankLine, rules: Sequence[BankRule], booked: Sequence[Booked],
           roles: Mapping[str, int | None], applies=rule_applies) -> Hint | None:
    """The hint for ``line`` (pure: the rules, the earlier bookings newest first, the chart's
    roles and the rule test are given)."""
    for rule in rules:
        if applies(rule, line):
            return Hint(rule.account_id, rule.fund_id, _("rule “%(name)s”", name=rule.name))
    incoming = line.amount > 0
    iban, name = (line.counterparty_iban or "").replace(" ", "").upper(), _key(line.counterparty_name)
    for earlier in booked:
        if earlier.incoming != incoming:
            continue
        if (iban and earlier.iban == iban) or (not iban and name and earlier.name == name):
            who = line.counterparty_name or iban
            return Hint(earlier.account_id, earlier.fund_id,
                        _("as %(who)s was booked on %(day)s", who=who,
                          day=earlier.on.isoformat()))
    if not iban and not name:
        role = "interest_income" if incoming else "bank_fees"
        if roles.get(role):
            return Hint(roles[role], roles.get("general_fund"),
                        _("interest from the bank") if incoming else _("the bank's own charge"))
    return None


def earlier_bookings(session: Session, bank_account_id: int, lines: Sequence[BankLine],
                     limit: int = 2000) -> list[Booked]:
    """Lines of this bank account booked as entries (by hand or by a rule), not undone, from the
    counterparties of ``lines``, newest first: the counter-posting of each entry."""
    ibans = {(line.counterparty_iban or "").replace(" ", "").upper() for line in lines} - {""}
    names = {line.counterparty_name for line in lines if line.counterparty_name}
    if not ibans and not names:
        return []
    postings = reads.postings_view()
    rows = session.execute(
        select(BankLine.counterparty_iban, BankLine.counterparty_name, BankLine.amount,
               postings.c.account_id, postings.c.fund_id, BankLine.booking_date)
        .join(BankMatchLine, BankMatchLine.bank_line_id == BankLine.id)
        .join(BankMatch, BankMatch.id == BankMatchLine.match_id)
        .join(postings, postings.c.entry_id == BankMatch.journal_entry_id)
        .where(BankLine.bank_account_id == bank_account_id, BankMatch.undone_at.is_(None),
               BankMatch.how.in_(("entry", "rule")), postings.c.amount == -BankLine.amount,
               or_(BankLine.counterparty_iban.in_(ibans), BankLine.counterparty_name.in_(names)))
        .order_by(BankLine.booking_date.desc(), BankLine.id.desc()).limit(limit)).all()
    return [Booked((iban or "").replace(" ", "").upper(), _key(name), amount > 0, account, fund, on)
            for iban, name, amount, account, fund, on in rows]


def hints_for(session: Session, bank_account_id: int, lines: Sequence[BankLine],
              roles: Mapping[str, int | None]) -> dict[int, Hint]:
    """{line id: hint} for the open ``lines`` that have one."""
    rules = list(session.scalars(select(BankRule).where(
        BankRule.active, or_(BankRule.bank_account_id.is_(None),
                             BankRule.bank_account_id == bank_account_id)).order_by(BankRule.id)))
    booked = earlier_bookings(session, bank_account_id, lines)
    found = {}
    for line in lines:
        hint = choose(line, rules, booked, roles)
        if hint is not None:
            found[line.id] = hint
    return found
