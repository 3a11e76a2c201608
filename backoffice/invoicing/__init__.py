"""Sponsors, sponsorship packages, invoices: numbering, VAT, PDF and e-invoice, booking, mail.

Plugged in through ``core.signals`` (connected here): sponsor credit refunds are a payable source
of the payout batches; refunds to settle, overdue invoices and drafts wait on the start page.
"""
from ..core import signals
from . import credits, privacy, tasks

signals.payable_sources.connect(credits.payable_source)
signals.waiting_work.connect(tasks.waiting)

# Personal data (core.privacy): what this package holds about a person, and its retention rules.
signals.personal_data.connect(privacy.holdings)


def source_pages(sender: object, **kwargs: object) -> dict[str, tuple[str, str]]:
    """Where the documents this package books are shown (``core.signals.source_pages``)."""
    return {"invoice": ("invoicing.invoice", "invoice_id"), "sponsor": ("invoicing.sponsor", "sponsor_id")}


signals.source_pages_signal.connect(source_pages)
