"""Executed payout batches as items a bank line may be (provider ``payout_batch``).

Executing a batch already posted Dr payables / Cr bank, one posting per fund
(``payouts.services.mark_executed``, source ``("payout_batch", id)``). The bank books the SEPA
file as one debit (CAMT gives the message id and the PmtInfId) or one line per transfer (with its
end-to-end id), so both are offered: the batch (``key = "<batch id>"``, amount -total, all its
postings on the bank's ledger account) and each transfer (``key = "<batch id>:<item id>"``,
amount -amount, the posting of its fund). Once money is allocated to one, the other is no longer
offered. Accepting posts nothing: the match's ``bank_match_items`` rows record the postings as
confirmed by the bank (the booked-postings provider leaves these postings to this one, so they
are never offered twice); undo clears that.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import String, bindparam, cast, func, select
from sqlalchemy.orm import Session

from ..core.db import constant
from ..core.i18n import N_
from ..payouts.models import BatchStatus, PayoutBatch, PayoutItem
from .matching import OpenItem
from .models import BankMatch, BankMatchItem
from .providers import ConfirmsBookedPostings

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Select

    from .models import BankAccount

SOURCE = "payout_batch"


class PayoutBatches(ConfirmsBookedPostings):
    name = "payout_batch"
    label = "Executed payout batches"
    claims_sources = (SOURCE,)

    def open_items(self, session: Session, bank_account) -> Iterable[OpenItem]:
        documents = {int(source_id): document for source_id, document
                     in self.unconfirmed(session, bank_account).items() if source_id.isdigit()}
        if not documents:
            return
        fund_of = {posting_id: fund_id for document in documents.values()
                   for posting_id, fund_id in document.funds.items()}
        batches, transfers = _executed(session, bank_account, list(documents))
        currency = bank_account.currency
        for batch_id, batch in sorted(batches.items()):
            own = documents[batch_id].postings
            per_fund = {fund_of[p]: p for p, _ in own}  # one bank posting per fund and entry
            if not batch.singly_allocated:
                yield OpenItem(
                    provider=self.name, key=str(batch_id), amount=sum(a for _, a in own),
                    currency=currency, date=batch.executed_on,
                    label=f"Payout batch {batch.message_id}: {batch.item_count} transfer"
                          f"{'s' if batch.item_count != 1 else ''}",
                    references=(batch.message_id, f"{batch.message_id}-1"),
                    kind=N_("payout batch"), url=f"/expenses/payouts/{batch_id}",
                    allow_partial=False, postings=tuple(own), allocated=batch.allocated or 0)
            if batch.allocated is not None or len(transfers[batch_id]) < 2:
                continue  # matched as a whole; or a batch of one transfer, which it is
            for item in transfers[batch_id]:
                posting_id = per_fund.get(item.fund_id)
                if posting_id is None:
                    continue
                yield OpenItem(
                    provider=self.name, key=f"{batch_id}:{item.id}", amount=-item.amount,
                    currency=currency, date=batch.executed_on,
                    label=f"Transfer {item.end_to_end_id} to {item.payee_name} "
                          f"(batch {batch.message_id})",
                    references=(item.end_to_end_id,), ibans=(item.iban,),
                    counterparty=item.payee_name, kind=N_("transfer"),
                    url=f"/expenses/payouts/{batch_id}", allow_partial=False,
                    postings=((posting_id, -item.amount),), allocated=item.allocated or 0)


class Executed(NamedTuple):
    """What the items of an executed batch show of it, what active matches of the bank account
    allocated to it as a whole (None: nothing) and whether they allocated to some of its
    transfers."""

    message_id: str
    item_count: int
    executed_on: date | None
    allocated: int | None
    singly_allocated: bool


class Transfer(NamedTuple):
    id: int
    fund_id: int
    amount: int
    end_to_end_id: str
    payee_name: str
    iban: str
    allocated: int | None  # to the transfer alone

def _executed(session: Session, bank_account: BankAccount,
              ids: list[int]) -> tuple[dict[int, Executed], dict[int, list[Transfer]]]:
    """Of the batches ``ids``, the executed ones by id and their transfers in order: one query
    of light rows, with what matches allocated to each (issue 17: three queries, of the six the
    provider sent on every page of the queue, the batches read whole with their file)."""
    batches: dict[int, Executed] = {}
    transfers: dict[int, list[Transfer]] = defaultdict(list)
    for batch_id, *batch, transfer_id, fund_id, amount, end_to_end_id, payee, iban, allocated \
            in session.execute(_EXECUTED, {"ids": ids, "bank_account_id": bank_account.id}).all():
        batches[batch_id] = Executed(*batch)
        if transfer_id is not None:
            transfers[batch_id].append(Transfer(transfer_id, fund_id, amount, end_to_end_id,
                                                payee, iban, allocated))
    return batches, transfers


def _allocated(key: ColumnElement, *columns: ColumnElement) -> Select:
    """What active matches of the account allocated to items of the provider whose key is
    ``key`` (``columns``: of them)."""
    return (select(*columns).join(BankMatch, BankMatch.id == BankMatchItem.match_id)
            .where(BankMatch.bank_account_id == bindparam("bank_account_id"),
                   BankMatchItem.active.is_(True),
                   BankMatchItem.provider == constant(PayoutBatches.name), key))


_BATCH_KEY = cast(PayoutBatch.id, String)
_TRANSFERS_KEY = _BATCH_KEY + constant(":")  # a transfer's key starts so
_SUM = func.sum(BankMatchItem.amount)
_EXECUTED = (
    select(PayoutBatch.id, PayoutBatch.message_id, PayoutBatch.item_count,
           PayoutBatch.executed_on,
           _allocated(BankMatchItem.item_key == _BATCH_KEY, _SUM).scalar_subquery(),
           _allocated(BankMatchItem.item_key.startswith(_TRANSFERS_KEY),
                      BankMatchItem.id).exists(),
           PayoutItem.id, PayoutItem.fund_id, PayoutItem.amount, PayoutItem.end_to_end_id,
           PayoutItem.payee_name, PayoutItem.iban,
           _allocated(BankMatchItem.item_key == _TRANSFERS_KEY + cast(PayoutItem.id, String),
                      _SUM).scalar_subquery())
    .outerjoin(PayoutItem, PayoutItem.batch_id == PayoutBatch.id)
    .where(PayoutBatch.id.in_(bindparam("ids", expanding=True)),
           PayoutBatch.status == constant(BatchStatus.EXECUTED, PayoutBatch.status.type))
    .order_by(PayoutBatch.id, PayoutItem.line_no))


PAYOUT_BATCHES = PayoutBatches()


def open_item_provider(sender: object, **kwargs: Any) -> PayoutBatches:
    return PAYOUT_BATCHES
