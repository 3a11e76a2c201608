"""Bank transfers that are donations: the banking provider "record as donation"
(``core.signals.open_item_providers``).

An incoming bank line that looks like a gift — its text says so (Spende, donation, Zuwendung), or
it comes from an IBAN a donor gave from before — and is not matched yet is offered as an item of
its own: "Donation from <donor> to <fund>". The donor is found by IBAN, else by exact name (one
candidate only), else made from the line at accept; the fund is found in the purpose text (a
fund's code or name; the general fund otherwise). Accepting records the donation in the match's
own entry (the bank side is the match's; income and admin fee are the donation's); undoing the
match reverses the donation (the service reverses the entry) and tells the receipts.

The items carry no reference, so an import never accepts one on its own ("confident" needs an
exact reference): a treasurer decides. They are a last resort (``Provider.fallback``): a line
that another provider's item matches by reference or IBAN (an invoice paid from a donor's
account, a grant paid back) is not offered as a donation, and the start page counts only the
lines the matcher does offer as one.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..banking import services as banking
from ..banking.matching import OpenItem, Provider, fold
from ..banking.models import BankAccount, BankLine
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import ValidationError
from ..core.i18n import _
from ..core.money import Money
from ..core.settings import Settings
from ..core.signals import donation_reversed
from ..ledger.reads import chart_funds
from ..ledger.services import fund_by_code, general_fund
from . import booking, donors
from .models import Channel, Donation, DonationStatus, DonorIban

if TYPE_CHECKING:
    from ..banking.models import BankMatch, BankMatchItem
    from ..ledger.models import JournalEntry

#: Words in a purpose text that say "this is a gift" (folded: upper case, no spaces).
WORDS = ("SPENDE", "DONATION", "ZUWENDUNG", "DONATE", "SCHENKUNG", "GIFT")


def looks_like_gift(text: str) -> bool:
    folded = fold(text)
    return any(fold(word) in folded for word in WORDS)


def fund_in(session: Session, text: str):
    """The fund a purpose text names (its code, or its name), the longest match winning; the
    general fund when none is named."""
    folded = fold(text)
    best = None
    for fund in chart_funds(session):
        if not fund.active or not fund.restricted:
            continue
        for needle in (fund.code, fund.name):
            key = fold(needle)
            if len(key) >= 3 and key in folded and (best is None or len(key) > best[0]):
                best = (len(key), fund.code)
    return fund_by_code(session, best[1]) if best else general_fund(session)


#: Which of the IBANs ``ibans`` donors gave from (built once: issue 17).
_KNOWN = select(DonorIban.iban).where(DonorIban.iban.in_(bindparam("ibans", expanding=True)))


class DonationProvider(Provider):
    name = "donation"
    label = "Record as donation"
    fallback = True

    def _lines(self, session: Session, bank_account: BankAccount,
               among: Sequence[BankLine] | None = None) -> list[BankLine]:
        """The open incoming lines (of ``among`` only, when given: lines just read, issue 17)
        that look like gifts or come from a donor's IBAN, by id."""
        if among is None:
            lines = session.scalars(select(BankLine).where(
                BankLine.bank_account_id == bank_account.id, BankLine.status == "open",
                BankLine.amount > 0, BankLine.reversal.is_(False)).order_by(BankLine.id)).all()
        else:
            lines = sorted((line for line in among if line.bank_account_id == bank_account.id
                            and line.status == "open" and line.amount > 0 and not line.reversal),
                           key=lambda line: line.id)
        gifts = {line.id for line in lines
                 if looks_like_gift(f"{line.remittance} {line.references}")}
        ibans = {line.counterparty_iban for line in lines
                 if line.counterparty_iban and line.id not in gifts}
        known = set(session.scalars(_KNOWN, {"ibans": sorted(ibans)})) if ibans else set()
        return [line for line in lines if line.id in gifts or line.counterparty_iban in known]

    def open_items(self, session: Session, bank_account: BankAccount,
                   among: Sequence[BankLine] | None = None) -> Iterable[OpenItem]:
        """Each open line that looks like a gift, as its own item; of ``among`` only, when
        given."""
        for line in self._lines(session, bank_account, among):
            donor = donors.by_iban(session, line.counterparty_iban)
            name = donor.name if donor else (line.counterparty_name or "an unknown donor")
            fund = fund_in(session, line.remittance)
            yield OpenItem(
                provider=self.name, key=str(line.id), amount=line.amount,
                currency=line.currency, date=line.booking_date,
                label=f"Donation from {name} to {fund.code}",
                ibans=(line.counterparty_iban,) if line.counterparty_iban else (),
                counterparty=name, counterparty_role="donor", kind="donation",
                allow_partial=False, bank_line_id=line.id)

    def items_for(self, session: Session, bank_account: BankAccount,
                  lines: Sequence[BankLine] | None) -> Iterable[OpenItem]:
        return self.open_items(session, bank_account, lines)

    def refusal(self, session: Session, bank_account: BankAccount, key: str) -> str | None:
        return "This bank line is matched already, or is not a gift."

    def accept(self, session: Session, *, bank_account: BankAccount, match: BankMatch,
               item: OpenItem, amount: int, booking_date: date, actor: Actor):
        line = session.get(BankLine, int(item.key))
        chosen = {row.bank_line_id for row in match.lines} if match.lines else None
        if line is None or (chosen is not None and chosen != {line.id}):
            raise ValidationError(_("A donation proposal belongs to its own bank line: match "
                                    "that line alone."))
        if amount != line.amount:
            raise ValidationError(_("A donation is recorded for the whole bank line."))
        donor = donors.by_iban(session, line.counterparty_iban)
        if donor is None:
            candidates = donors.by_name(session, line.counterparty_name)
            donor = candidates[0] if len(candidates) == 1 else donors.find_or_create(
                session, donors.DonorDetails(name=line.counterparty_name or "Unknown donor"),
                iban=line.counterparty_iban, actor=actor)
        donors.remember_iban(session, donor, line.counterparty_iban)
        fund = fund_in(session, line.remittance)
        donation, created = booking.record(session, booking.Gift(
            donor=donor, fund=fund, amount=Money(line.amount, line.currency),
            day=line.booking_date, channel=Channel.BANK,
            note=f"Bank transfer: {line.remittance}"[:500],
            refs={"bank_line_id": line.id}), actor=actor, post=False)
        if not created:
            raise ValidationError(_("This bank line is %(ref)s already.", ref=donation.ref))
        return booking.lines_for(session, donation)

    def posted(self, session: Session, *, bank_account: BankAccount, match: BankMatch,
               entry: JournalEntry | None, allocations: list[tuple[OpenItem, int]],
               booking_date: date, actor: Actor, settings: Settings) -> None:
        for item, _share in allocations:
            donation = session.scalar(select(Donation).where(
                Donation.bank_line_id == int(item.key)))
            donation.journal_entry_id = entry.id if entry else None
            donation.admin_fee = booking.admin_fee_of(session, donation)
        session.flush()

    def undo(self, session: Session, *, match: BankMatch, item_row: BankMatchItem,
             actor: Actor, settings: Settings) -> None:
        """The match's entry is reversed by the service: the donation is marked reversed (and
        lets go of its bank line, which may be matched again)."""
        donation = session.scalar(select(Donation).where(
            Donation.bank_line_id == int(item_row.item_key)))
        if donation is None or donation.status is not DonationStatus.BOOKED:
            return
        donation.status = DonationStatus.REVERSED
        donation.reversal_entry_id = match.undo_entry_id
        donation.reversed_at = utcnow()
        donation.reversal_reason = f"bank match #{match.id} undone"
        donation.note = f"{donation.note} (was bank line #{donation.bank_line_id})".strip()
        donation.bank_line_id = None
        session.flush()
        donation_reversed.send(donation, session=session, actor=actor,
                               reason=donation.reversal_reason, settings=settings)


def open_item_provider(sender: object, **kwargs: Any) -> DonationProvider:
    return DonationProvider()


def proposed(session: Session, bank_account: BankAccount) -> list[BankLine]:
    """The open lines of the account that the matcher offers as donations: they look like gifts
    and no other provider's item explains them (the open items are read only when a line looks
    like a gift)."""
    lines = DonationProvider()._lines(session, bank_account)
    if not lines:
        return []
    found = banking.suggestions_for(session, bank_account, lines, limit=10)
    return [line for line in lines if any(
        item.provider == DonationProvider.name and item.key == str(line.id)
        for suggestion in found[line.id] for item in suggestion.items)]


def looks_like_donations(session: Session, user: object = None, today: object = None) -> int:
    """Open incoming bank lines offered as donations (for the start page)."""
    return sum(len(proposed(session, account))
               for account in session.scalars(select(BankAccount)))



