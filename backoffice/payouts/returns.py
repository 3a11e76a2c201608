"""Transfers the bank sent back: a payout that did not reach the payee.

A SEPA credit transfer of an executed batch can come back days later as a credit on the
statement, naming the transfer's end-to-end id and an ISO 20022 return reason (AC04: account
closed, AC01: wrong IBAN, MD07: the payee died, ...). The bank reconciliation recognises such a
line (``banking/payout_returns.py``) and, when the treasurer accepts it, posts Dr bank / Cr the
liability the batch had debited (``lines``) and calls ``record_return``: the return is recorded
against the transfer, the transfer stops holding its payable (``PayoutItem.active``), and the
payable source puts its document back to payable and asks the payee for correct account details
(the source's ``returned`` hook). The next batch can pay it again.

Returned twice, or accepted twice at the same moment: refused (``Conflict``), by the transfer's
row lock and, underneath, the partial unique index on active returns.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..core import audit
from ..core.actors import Actor
from ..core.db import in_batches, utcnow
from ..core.errors import Conflict, NotFound, ValidationError
from ..core.i18n import _
from ..core.money import Money
from ..ledger.services import Line
from . import services as payouts
from .models import BATCH_STATES, BatchStatus, PayoutBatch, PayoutItem, PayoutReturn

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..core.settings import Settings

#: ISO 20022 ExternalReturnReason1Code: the reasons banks give most for a returned transfer.
REASONS = {
    "AC01": "the IBAN is incorrect",
    "AC03": "the account number is not valid",
    "AC04": "the account is closed",
    "AC06": "the account is blocked",
    "AC13": "the account does not accept this kind of payment",
    "AG01": "the account does not accept this transaction",
    "AG02": "the bank operation code is not valid",
    "AM05": "the payment was a duplicate",
    "BE04": "the payee's address is missing",
    "CNOR": "the payee's bank is not reachable",
    "CUST": "the payee asked for it",
    "DUPL": "the payment was a duplicate",
    "FOCR": "the payment was cancelled on request",
    "FRAD": "the payment looked fraudulent",
    "MD07": "the account holder has died",
    "MS02": "the payee refused it",
    "MS03": "the bank gave no reason",
    "RC01": "the BIC is incorrect",
    "RR01": "the payee's identification is missing",
    "RR02": "the payee's name or address is missing",
    "RR03": "the payee's name or address is missing",
    "RR04": "of regulatory reasons",
    "TECH": "of a technical problem",
}


def describe(code: str) -> str:
    """'AC04: the account is closed' (the code alone when it is not a known one)."""
    code = (code or "").upper()
    if code in ("", "RETURN"):
        return "the bank gave no reason code"
    reason = REASONS.get(code)
    return f"{code}: {reason}" if reason else code


def returnable(session: Session, end_to_end_ids: Iterable[str | None], currency: str) -> list[PayoutItem]:
    """Transfers of executed batches in ``currency`` that these end-to-end ids name and that
    are not returned already: what a return line can be."""
    ids = sorted({i for i in end_to_end_ids if i})
    found: list[PayoutItem] = []
    for batch in in_batches(ids):
        found += session.scalars(
            select(PayoutItem).join(PayoutBatch, PayoutBatch.id == PayoutItem.batch_id)
            .where(PayoutItem.end_to_end_id.in_(batch),
                   PayoutItem.active.is_(True), PayoutItem.currency == currency,
                   PayoutBatch.status == BatchStatus.EXECUTED)
            .options(selectinload(PayoutItem.batch)))
    return found


def lines(item: PayoutItem, amount: Money, reason_code: str) -> list[Line]:
    """The ledger side of a return other than the bank: the liability the batch had debited,
    credited again in the transfer's fund (the payable is owed again)."""
    return [Line(item.liability_account, item.fund, -amount,
                 f"Returned {item.end_to_end_id} ({reason_code})"[:200])]


def partial_return(item: PayoutItem, amount: Money) -> ValidationError:
    return ValidationError(
        _("The bank returned %(value)s of the transfer %(end_to_end_id)s of %(value2)s: only a whole transfer comes back as a return. Book the line as an entry instead.", value=amount, end_to_end_id=item.end_to_end_id, value2=item.money))


def active_return(session: Session, item: PayoutItem) -> PayoutReturn | None:
    return session.scalar(select(PayoutReturn).where(PayoutReturn.item_id == item.id,
                                                     PayoutReturn.undone_at.is_(None)))


def latest_return(session: Session, kind: str, source_id: int | str) -> PayoutReturn | None:
    """The last active return of a payable's transfers (for its page: why it is payable again)."""
    return session.scalar(
        select(PayoutReturn).join(PayoutItem, PayoutItem.id == PayoutReturn.item_id)
        .where(PayoutItem.source_kind == kind, PayoutItem.source_id == str(source_id),
               PayoutReturn.undone_at.is_(None))
        .order_by(PayoutReturn.id.desc()).limit(1))


def _locked_item(session: Session, item_id: int) -> PayoutItem:
    item = session.scalars(select(PayoutItem).where(PayoutItem.id == item_id)
                           .with_for_update(of=PayoutItem)
                           .execution_options(populate_existing=True)).one_or_none()
    if item is None:
        raise NotFound(_("No such transfer."))
    return item


def record_return(session: Session, item: PayoutItem, *, amount: Money, returned_on: date,
                  reason_code: str, actor: Actor, settings: Settings, entry_id: int | None = None,
                  bank_match_id: int | None = None) -> PayoutReturn:
    """The bank sent ``item`` back: record it, free its payable, let its source make the
    document payable again and tell the payee. The entry (``entry_id``) is the caller's."""
    item = _locked_item(session, item.id)
    batch = item.batch
    BATCH_STATES.check(batch, "return_transfer")
    earlier = active_return(session, item)
    if earlier is not None or not item.active:
        when = f" on {earlier.returned_on.isoformat()}" if earlier is not None else ""
        raise Conflict(_("The transfer %(end_to_end_id)s was already returned%(when)s; it is not taken back twice.", end_to_end_id=item.end_to_end_id, when=when))
    if amount != item.money:
        raise partial_return(item, amount)
    reason_code = (reason_code or "RETURN").strip().upper()[:35]
    returned = PayoutReturn(item_id=item.id, amount=amount.amount, currency=amount.currency,
                            returned_on=returned_on, reason_code=reason_code,
                            bank_match_id=bank_match_id, entry_id=entry_id,
                            recorded_by_id=getattr(actor, "id", None))
    session.add(returned)
    item.active = False  # the payable may go into the next batch
    session.flush()
    payouts.source(item.source_kind).returned(session, item, batch, returned, actor,
                                              settings=settings)
    audit.record(session, actor, "payout_item.returned", "payout_batch", batch.id,
                 summary=f"{item.end_to_end_id} returned by the bank ({describe(reason_code)}), "
                         f"{amount.format()}"[:500],
                 after={"item": item.id, "return": returned.id, "reason": reason_code,
                        "entry": entry_id, "original_entry": batch.payment_entry_id})
    return returned


def undo_return(session: Session, returned: PayoutReturn, *, actor: Actor, undo_entry_id: int | None,
                settings: Settings) -> None:
    """The return was matched by mistake (its bank match undone): the transfer counts as paid
    again. Refused once the payable is in another batch."""
    if returned.undone_at is not None:
        raise Conflict(_("This return was already undone."))
    item = _locked_item(session, returned.item_id)
    again = payouts.active_item_for(session, item.source_kind, item.source_id)
    if again is not None:
        raise Conflict(_("%(end_to_end_id)s is in payout batch %(message_id)s already; cancel that batch first.", end_to_end_id=item.end_to_end_id, message_id=again.batch.message_id))
    payouts.source(item.source_kind).return_undone(session, item, item.batch, returned, actor,
                                                   settings=settings)
    item.active = True
    returned.undone_at, returned.undone_by_id = utcnow(), getattr(actor, "id", None)
    returned.undo_entry_id = undo_entry_id
    session.flush()
    audit.record(session, actor, "payout_item.return_undone", "payout_batch", item.batch_id,
                 summary=f"return of {item.end_to_end_id} undone",
                 after={"item": item.id, "return": returned.id, "entry": undo_entry_id})
