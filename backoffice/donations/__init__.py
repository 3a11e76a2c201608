"""Donations: donors, gifts by every channel (Stripe Checkout, bank transfer, cash, cheque, in
kind, waived reimbursements), recurring plans, and their booking into a fund.

Connected here: the Stripe events of donations (``core.signals.stripe_event``), "record as
donation" for bank lines (``open_item_providers``), the start page's donation work
(``waiting_work``), the cached totals that follow every flush of a donation (``totals``), and
the job that tells donors of a failed recurring payment.
"""
from ..core import signals
from . import (
    bank,
    notify,  # noqa: F401  (the donations.tell_payment_failed job)
    privacy,
    stripe_events,
    tasks,
    totals,  # noqa: F401  (keeps the cached totals in step with every flush)
)

for _event_type, _receiver in stripe_events.RECEIVERS.items():
    signals.stripe_event.connect(_receiver, sender=_event_type)
signals.open_item_providers.connect(bank.open_item_provider)
signals.waiting_work.connect(tasks.waiting)

# Personal data (core.privacy): what donations hold about a donor, and the retention rule.
signals.personal_data.connect(privacy.holdings)
signals.retention_due.connect(privacy.retention)


def source_pages(sender: object, **kwargs: object) -> dict[str, tuple[str, str]]:
    """Where the documents this package books are shown (``core.signals.source_pages``)."""
    return {"donation": ("donations.donation", "donation_id")}


signals.source_pages_signal.connect(source_pages)
