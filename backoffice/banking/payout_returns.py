"""Transfers the bank sent back, as items a return line may be (provider ``payout_return``).

A returned SEPA transfer comes as a credit with a return reason (CAMT ``RtrInf``, MT940
``/RTRN/`` or a German return, parsed into ``BankLine.return_reason``) and the transfer's
end-to-end id. For the open return lines of the account, the transfers of executed batches
that their references name are offered (``key`` = the payout item's id, ``amount`` = the
transfer, money in), labelled with the reason. Accepting credits the liability the batch had
debited in the transfer's fund (the bank side is the service's: Dr bank), and ``posted`` records
the return through ``payouts.returns.record_return``, which makes the claim or grant payment
payable again and asks the payee for the right account. Undo takes the return back (refused once
the payable is in a new batch).

Only lines with a return reason bring items, so the provider costs one query on the open return
lines and one on the transfers they name, and no ordinary credit is ever offered a transfer.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..core.db import constant
from ..core.errors import Conflict, NotFound
from ..core.i18n import N_, _
from ..core.money import Money
from ..core.settings import Settings
from ..payouts import returns
from ..payouts.models import PayoutItem, PayoutReturn
from .matching import OpenItem, Provider
from .models import BankLine


class PayoutReturns(Provider):
    name = "payout_return"
    label = "Returned transfers"
    counts_own_allocations = True  # a returned transfer is no longer offered at all

    def _reasons(self, session: Session, bank_account) -> dict[str, str]:
        """{reference: return reason} of the account's open return lines."""
        reasons: dict[str, str] = {}
        for references, reason in session.execute(_RETURN_LINES,
                                                  {"bank_account_id": bank_account.id}).all():
            for reference in references.split():
                reasons.setdefault(reference, reason)
        return reasons

    def open_items(self, session: Session, bank_account) -> Iterable[OpenItem]:
        reasons = self._reasons(session, bank_account)
        if not reasons:
            return
        for item in returns.returnable(session, reasons, bank_account.currency):
            yield OpenItem(
                provider=self.name, key=str(item.id), amount=item.amount,
                currency=item.currency, date=item.batch.executed_on,
                label=f"Returned transfer {item.end_to_end_id} to {item.payee_name} "
                      f"({returns.describe(reasons[item.end_to_end_id])})",
                references=(item.end_to_end_id,), ibans=(item.iban,),
                counterparty=item.payee_name, kind=N_("returned transfer"),
                url=f"/expenses/payouts/{item.batch_id}", allow_partial=False)

    def _transfer(self, session: Session, key: str) -> PayoutItem:
        item = session.get(PayoutItem, int(key)) if key.isdigit() else None
        if item is None:
            raise NotFound(_("No transfer #%(key)s.", key=key))
        return item

    def accept(self, session: Session, *, bank_account, match, item, amount, booking_date, actor: Actor):
        transfer = self._transfer(session, item.key)
        if not transfer.active:
            raise Conflict(_("The transfer %(end_to_end_id)s was already returned.",
                             end_to_end_id=transfer.end_to_end_id))
        money = Money(amount, bank_account.currency)
        if money != transfer.money:
            raise returns.partial_return(transfer, money)
        return returns.lines(transfer, money, self._reason(session, bank_account, transfer))

    def _reason(self, session: Session, bank_account, transfer: PayoutItem) -> str:
        return self._reasons(session, bank_account).get(transfer.end_to_end_id) or "RETURN"

    def posted(self, session: Session, *, bank_account, match, entry, allocations, booking_date, actor: Actor,
               settings: Settings):
        for item, amount in allocations:
            transfer = self._transfer(session, item.key)
            returns.record_return(
                session, transfer, amount=Money(amount, bank_account.currency),
                returned_on=booking_date,
                reason_code=self._reason(session, bank_account, transfer), actor=actor,
                settings=settings,
                entry_id=entry.id if entry is not None else None, bank_match_id=match.id)

    def undo(self, session: Session, *, match, item_row, actor: Actor, settings: Settings):
        returned = session.scalar(select(PayoutReturn).where(
            PayoutReturn.bank_match_id == match.id,
            PayoutReturn.item_id == int(item_row.item_key), PayoutReturn.undone_at.is_(None)))
        if returned is not None:
            returns.undo_return(session, returned, actor=actor, settings=settings,
                                undo_entry_id=match.undo_entry_id)


#: The account's open return lines (built once: issue 17, every page of the queue asks).
_RETURN_LINES = (select(BankLine.references, BankLine.return_reason)
                 .where(BankLine.bank_account_id == bindparam("bank_account_id"),
                        BankLine.status == constant("open"), BankLine.return_reason != constant(""),
                        BankLine.amount > constant(0))
                 .order_by(BankLine.booking_date, BankLine.id))

PAYOUT_RETURNS = PayoutReturns()


def open_item_provider(sender: object, **kwargs: Any) -> PayoutReturns:
    return PAYOUT_RETURNS
