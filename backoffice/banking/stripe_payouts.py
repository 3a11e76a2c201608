"""Stripe payouts as items a bank line may be (provider ``stripe_payout``).

``payments.services.on_payout_paid`` already posted Dr bank / Cr Stripe balance per fund (source
``("stripe_payout", "po_...")``). The payout is offered with its id as the reference (the bank
text carries "STRIPE PAYOUT po_..."), its arrival date and its amount; accepting posts nothing
and records its postings as confirmed by the bank, undo clears that. The booked-postings
provider leaves these postings to this one.

Stripe also gives a statement descriptor, but the payments package does not keep it: the payout
id and the amount are what the match rests on.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select

from ..ledger.models import JournalEntry
from ..payments.models import StripePayout
from .matching import OpenItem, register
from .providers import ConfirmsBookedPostings, confirmed_elsewhere, unreconciled_postings_query

SOURCE = "stripe_payout"


class StripePayouts(ConfirmsBookedPostings):
    name = "stripe_payout"
    label = "Stripe payouts"
    claims_sources = (SOURCE,)

    def open_items(self, session, bank_account) -> Iterable[OpenItem]:
        rows = session.execute(unreconciled_postings_query(bank_account).where(
            JournalEntry.source_kind == SOURCE, JournalEntry.source_id.is_not(None))).all()
        if not rows:
            return
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        booked_on = {}
        for posting_id, amount, day, _entry, _text, _kind, stripe_id in rows:
            postings[stripe_id].append((posting_id, amount))
            booked_on[stripe_id] = day
        taken = confirmed_elsewhere(session, [row[0] for row in rows], self.name)
        arrival = {}
        ids = list(postings)
        for start in range(0, len(ids), 1000):
            arrival.update(session.execute(
                select(StripePayout.stripe_id, StripePayout.arrival_date).where(
                    StripePayout.stripe_id.in_(ids[start:start + 1000]))).all())
        for stripe_id, own in sorted(postings.items()):
            if any(posting_id in taken for posting_id, _ in sorted(own)):
                continue
            yield OpenItem(
                provider=self.name, key=stripe_id, amount=sum(a for _, a in own),
                currency=bank_account.currency,
                date=arrival.get(stripe_id, booked_on[stripe_id]),
                label=f"Stripe payout {stripe_id}", references=(stripe_id,),
                counterparty="Stripe", kind="Stripe payout", url="/payments/events",
                allow_partial=False, postings=tuple(sorted(own)))


register(StripePayouts())
