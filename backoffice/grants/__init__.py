"""Grants: programmes, applications, reviews and votes, awards tied to the fund ledger,
payments through payout batches, reports back.

Modules: ``models``; ``services`` (an application's life: every transition), ``programmes``
(keeping programmes), ``queries`` (queue, budgets, public list), ``access`` (the applicant's
secret link), ``notify`` (the applicant's emails), ``letters`` (award letter PDF), ``payouts``
(grant payments as a payable source of payout batches), ``forms``, ``views``, ``cli``
(``backoffice grants remind`` for cron), ``demo``.
"""
from ..core import signals
from . import payouts, privacy, tasks

# Plugged in through ``core.signals``: grant payments are a payable source of the payout batches;
# applications for the committee and overdue reports wait on the start page.
signals.payable_sources.connect(payouts.payable_source)
signals.waiting_work.connect(tasks.waiting)

# Personal data (core.privacy): what this package holds about a person, and its retention rules.
signals.personal_data.connect(privacy.holdings)
signals.retention_due.connect(privacy.retention)
