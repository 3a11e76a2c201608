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
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.i18n import N_
from ..payouts.models import BatchStatus, PayoutBatch, PayoutItem
from .matching import OpenItem
from .providers import (
    ConfirmsBookedPostings,
    allocated_keys,
)

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
        postings = {batch_id: document.postings for batch_id, document in documents.items()}
        fund_of = {posting_id: fund_id for document in documents.values()
                   for posting_id, fund_id in document.funds.items()}
        allocated = allocated_keys(session, bank_account, self.name)
        batches, transfers = _executed(session, list(postings))
        currency = bank_account.currency
        for batch_id, batch in sorted(batches.items()):
            own = postings[batch_id]
            per_fund = {fund_of[p]: p for p, _ in own}  # one bank posting per fund and entry
            singly = {key.partition(":")[2] for key in allocated
                      if key.partition(":")[0] == str(batch_id) and ":" in key}
            if not singly:
                yield OpenItem(
                    provider=self.name, key=str(batch_id), amount=sum(a for _, a in own),
                    currency=currency, date=batch.executed_on,
                    label=f"Payout batch {batch.message_id}: {batch.item_count} transfer"
                          f"{'s' if batch.item_count != 1 else ''}",
                    references=(batch.message_id, f"{batch.message_id}-1"),
                    kind=N_("payout batch"), url=f"/expenses/payouts/{batch_id}",
                    allow_partial=False, postings=tuple(own))
            if str(batch_id) in allocated or len(transfers[batch_id]) < 2:
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
                    postings=((posting_id, -item.amount),))


def _executed(session: Session, ids: list[int]) -> tuple[dict[int, PayoutBatch], dict[int, list[PayoutItem]]]:
    """Of the batches ``ids``, the executed ones by id and their transfers in order: one query
    (issue 17: two, of the six the provider sent on every page of the queue)."""
    batches: dict[int, PayoutBatch] = {}
    transfers: dict[int, list[PayoutItem]] = defaultdict(list)
    for batch, item in session.execute(
            select(PayoutBatch, PayoutItem).outerjoin(PayoutItem, PayoutItem.batch_id == PayoutBatch.id)
            .where(PayoutBatch.id.in_(ids), PayoutBatch.status == BatchStatus.EXECUTED)
            .order_by(PayoutBatch.id, PayoutItem.line_no)):
        batches[batch.id] = batch
        if item is not None:
            transfers[batch.id].append(item)
    return batches, transfers


PAYOUT_BATCHES = PayoutBatches()


def open_item_provider(sender: object, **kwargs: Any) -> PayoutBatches:
    return PAYOUT_BATCHES
