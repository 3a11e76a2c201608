"""Write-offs above the limit for small differences, decided by a second person.

A line that pays less than its invoice by more than ``BANK_SMALL_DIFFERENCE_LIMIT`` is matched
for what it paid (the invoice stays open by the rest) and the write-off the treasurer asked for
waits here. Somebody else who may approve money out (``expenses.approve``, the permission of the
second approval of expense claims) approves it, or rejects it: the rule of the expense claims
above their limit, that the one who asks never decides. Approving posts Dr the write-off account
(bank charges) / Cr what the item's provider returns (receivables of the invoice), source
``("bank_write_off", id)``, and records the write-off on the invoice. The decision is a
conditional UPDATE from ``pending``, so two approvers at once cannot post it twice.

Writing off what a sponsor owes gives up the association's claim: the entry is posted only under
a passed board resolution naming the write-off (its number) and allowing at least its amount,
asked for through ``core.signals.resolution_required`` (the board records answer; banking does
not import them).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit, clock
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import Conflict, PermissionDenied, ValidationError
from ..core.i18n import _, _l
from ..core.money import Money
from ..core.permissions import Permission
from ..core.signals import Resolved, answers, resolution_required
from ..funds.services import check_spending
from ..ledger import services as ledger
from ..ledger.chart import AccountType
from .matching import OpenItem, provider
from .models import BankAccount, BankMatch, BankWriteOff

if TYPE_CHECKING:
    from ..ledger.chart import Account, Fund

PENDING, APPROVED, REJECTED, CANCELLED = "pending", "approved", "rejected", "cancelled"


def request(session: Session, *, match: BankMatch, item: OpenItem, amount: int, account: Account, fund: Fund,
            actor: Actor) -> BankWriteOff:
    write_off = BankWriteOff(bank_match_id=match.id, provider=item.provider, item_key=item.key,
                             label=item.label[:300], amount=amount, currency=item.currency,
                             account_id=account.id, fund_id=fund.id,
                             reason=f"the payer paid {Money(abs(amount), item.currency).format()} "
                                    f"less",
                             requested_by_id=getattr(actor, "id", None))
    session.add(write_off)
    session.flush()
    audit.record(session, actor, "bank.write_off_requested", "bank_write_off", write_off.id,
                 summary=f"write off {Money(amount, item.currency)} of {item.label}: waits for a "
                         f"second approver"[:500],
                 after={"match": match.id, "amount": amount, "account": account.code})
    return write_off


def pending(session: Session) -> list[BankWriteOff]:
    return list(session.scalars(select(BankWriteOff).where(BankWriteOff.status == PENDING)
                                .order_by(BankWriteOff.id)))


def _decide(session: Session, write_off: BankWriteOff, status: str, actor: Actor) -> None:
    """Take the write-off out of ``pending`` (one decision wins; the other gets a Conflict)."""
    if not actor.can(Permission.EXPENSES_APPROVE):
        raise PermissionDenied(_("Only a treasurer who approves money out decides write-offs."))
    if write_off.requested_by_id == actor.id:
        raise PermissionDenied(_("You asked for this write-off, so somebody else has to decide "
                                 "it."))
    table = BankWriteOff.__table__
    done = session.execute(table.update().where(table.c.id == write_off.id,
                                                table.c.status == PENDING)
                           .values(status=status, decided_by_id=actor.id, decided_at=utcnow()))
    if done.rowcount != 1:
        raise Conflict(_("This write-off was decided (or its match undone) a moment ago."))
    session.expire(write_off)


def resolution_for(session: Session, write_off: BankWriteOff, actor: Actor) -> Resolved:
    """The board's passed resolution naming this write-off (``ValidationError`` until there is
    one, or when no board records are installed)."""
    found = answers(resolution_required, "invoice_write_off", session=session,
                    subject_id=write_off.id, amount=Money(write_off.amount, write_off.currency),
                    actor=actor)
    if not found:
        raise ValidationError(_("A write-off is posted only under a board resolution, and no "
                                "board records are installed."))
    return found[0]


def approve(session: Session, write_off: BankWriteOff, *, actor: Actor,
            override_reason: str | None = None) -> BankWriteOff:
    _decide(session, write_off, APPROVED, actor)
    resolution = resolution_for(session, write_off, actor)
    match = session.get(BankMatch, write_off.bank_match_id)
    if match.undone_at is not None:
        raise Conflict(_("The match of this write-off was undone."))
    bank_account = session.get(BankAccount, match.bank_account_id)
    money = Money(write_off.amount, write_off.currency)
    item = OpenItem(provider=write_off.provider, key=write_off.item_key, amount=write_off.amount,
                    currency=write_off.currency, date=None, label=write_off.label)
    handler = provider(write_off.provider)
    on = clock.today()
    lines = handler.accept(session, bank_account=bank_account, match=match, item=item,
                           amount=write_off.amount, booking_date=on, actor=actor)
    if sum(line.amount.amount for line in lines) != -write_off.amount:
        raise ValidationError(_("This kind of item cannot be written off."))
    account, fund = write_off.account, write_off.fund
    if money.amount > 0 and account.type is AccountType.EXPENSE:
        check_spending(session, fund, money, actor=actor, what=_l("a write-off for %(item)s", item=write_off.label),
                       override_reason=override_reason)
    entry = ledger.post_entry(
        session, booking_date=on, actor=actor, source=("bank_write_off", write_off.id),
        description=f"Written off: {write_off.label} ({write_off.reason}; board resolution "
                    f"{resolution.number})"[:500],
        lines=[*lines, ledger.Line(account, fund, money, f"Written off: {write_off.label}"[:200])])
    write_off.journal_entry_id = entry.id
    session.flush()
    handler.written_off(session, match=match, item=item, amount=write_off.amount, entry=entry,
                        booking_date=on, actor=actor)
    audit.record(session, actor, "bank.write_off_approved", "bank_write_off", write_off.id,
                 summary=f"write-off of {money} for {write_off.label} approved ({entry.ref})"[:500],
                 after={"entry": entry.id, "resolution": resolution.number})
    return write_off


def reject(session: Session, write_off: BankWriteOff, *, actor: Actor) -> BankWriteOff:
    _decide(session, write_off, REJECTED, actor)
    audit.record(session, actor, "bank.write_off_rejected", "bank_write_off", write_off.id,
                 summary=f"write-off for {write_off.label} rejected: it stays open"[:500])
    return write_off


def cancel_for_match(session: Session, match: BankMatch, *, actor: Actor) -> None:
    """The match is being undone: its pending write-offs go with it; an approved one keeps the
    match (undo would leave the write-off without the payment it completed)."""
    for write_off in session.scalars(select(BankWriteOff).where(
            BankWriteOff.bank_match_id == match.id)):
        if write_off.status == APPROVED:
            raise Conflict(_("A write-off of %(amount)s was approved for this match; it cannot be "
                             "undone.",
                             amount=Money(write_off.amount, write_off.currency)))
        if write_off.status == PENDING:
            write_off.status, write_off.decided_at = CANCELLED, utcnow()
            write_off.decided_by_id = getattr(actor, "id", None)
            session.flush()
            audit.record(session, actor, "bank.write_off_cancelled", "bank_write_off",
                         write_off.id, summary="its match was undone")
