"""Expense claims: lines, receipts, four-eyes approval, payables.

Plugged in through ``core.signals`` (connected here): approved claims are a payable source of the
payout batches, the claims to approve wait on the start page, a group's page shows its claims, and
claims not yet decided or paid keep a group from being dissolved.
"""
from ..core import signals
from . import groups, privacy, services, tasks

signals.payable_sources.connect(services.payable_source)
signals.waiting_work.connect(tasks.waiting)
signals.page_panels.connect(groups.group_panel, sender="groups.detail")
signals.group_dissolve_blockers.connect(groups.dissolve_blockers)

# Personal data (core.privacy): what this package holds about a person, and its retention rules.
signals.personal_data.connect(privacy.holdings)


def source_pages(sender: object, **kwargs: object) -> dict[str, tuple[str, str]]:
    """Where the documents this package books are shown (``core.signals.source_pages``)."""
    return {"expense_claim": ("expenses.claim", "claim_id")}


signals.source_pages_signal.connect(source_pages)
