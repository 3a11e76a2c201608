"""Bank accounts, statement import (CAMT.053, MT940, CSV), matching and reconciliation.

See ``docs/BANKING.md`` for the design and for how other kinds of open items plug in.
"""
from ..core import signals
from . import (
    invoices,
    open_postings,
    payout_batches,
    payout_returns,
    providers,
    stripe_payouts,
    tasks,
)

# What a bank line can be (``core.signals.open_item_providers``), in this order: open invoices,
# booked postings, executed payout batches, returned transfers, Stripe payouts.
for _module in (invoices, providers, payout_batches, payout_returns, stripe_payouts):
    signals.open_item_providers.connect(_module.open_item_provider)
# Bank lines, automatic matches and write-offs wait on the start page.
signals.waiting_work.connect(tasks.waiting)
# The bank postings the queue offers, kept as entries are posted (``banking.open_postings``).
signals.entries_posted.connect(open_postings.entries_posted)
