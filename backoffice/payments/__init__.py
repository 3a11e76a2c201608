"""Stripe: Checkout for invoices, the webhook's event store and handlers, payouts."""
