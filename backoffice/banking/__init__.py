"""Bank accounts, statement import (CAMT.053, MT940, CSV), matching and reconciliation.

See ``docs/BANKING.md`` for the design and for how other kinds of open items plug in.
"""
# Register the providers: booked postings, open invoices, payout batches, returned transfers,
# Stripe payouts.
from . import invoices, payout_batches, payout_returns, providers, stripe_payouts  # noqa: F401
