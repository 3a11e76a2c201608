"""Stripe: Checkout for invoices, the webhook's event store and handlers, payouts."""
from ..core import signals
from . import services

# The Stripe fees on an invoice's page (``core.signals.page_panels``).
signals.page_panels.connect(services.invoice_panel, sender="invoicing.invoice")
