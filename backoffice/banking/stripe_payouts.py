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

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.i18n import N_
from ..payments.models import StripePayout
from .matching import OpenItem
from .providers import ConfirmsBookedPostings

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from .models import BankAccount

SOURCE = "stripe_payout"


class StripePayouts(ConfirmsBookedPostings):
    name = "stripe_payout"
    label = "Stripe payouts"
    claims_sources = (SOURCE,)

    def document_day(self, source_id: ColumnElement) -> ColumnElement:
        """The payout's arrival date (issue 17: a query of its own on every page of the
        queue)."""
        return select(StripePayout.arrival_date).where(
            StripePayout.stripe_id == source_id).scalar_subquery()

    def open_items(self, session: Session, bank_account: BankAccount) -> Iterable[OpenItem]:
        for stripe_id, (own, arrival, _funds, allocated) in sorted(
                self.unconfirmed(session, bank_account).items()):
            yield OpenItem(
                provider=self.name, key=stripe_id, amount=sum(a for _, a in own),
                currency=bank_account.currency, date=arrival,
                label=f"Stripe payout {stripe_id}", references=(stripe_id,),
                counterparty="Stripe", kind=N_("Stripe payout"), url="/payments/events",
                allow_partial=False, postings=tuple(own), allocated=allocated)


STRIPE_PAYOUTS = StripePayouts()


def open_item_provider(sender: object, **kwargs: Any) -> StripePayouts:
    return STRIPE_PAYOUTS
