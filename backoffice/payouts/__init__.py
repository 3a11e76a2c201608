"""Payout batches: SEPA credit transfers paying what other packages owe (expense claims, grant
payments, sponsor credit refunds), and the transfers the bank sent back.

Modules: ``models`` (batches, their transfers, returns), ``services`` (what can be paid, creating,
executing and cancelling a batch), ``sepa`` (the pain.001 file and the debtor), ``returns``
(a transfer the bank sent back), ``forms``, ``views``, ``cli``, ``tasks``. The packages that owe
money feed it as payable sources; this package imports none of them.
"""
from ..core import signals
from . import tasks

# Plugged in through ``core.signals``: what waits for a batch is counted on the start page.
signals.waiting_work.connect(tasks.waiting)


def source_pages(sender: object, **kwargs: object) -> dict[str, tuple[str, str]]:
    """Where the documents this package books are shown (``core.signals.source_pages``)."""
    return {"payout_batch": ("payouts.batch", "batch_id")}


signals.source_pages_signal.connect(source_pages)
