"""Grants: programmes, applications, reviews and votes, awards tied to the fund ledger,
payments through payout batches, reports back.

Modules: ``models``; ``lifecycle`` (the states and ``transition``) and one module per phase of
an application's life: ``applying``, ``reviewing``, ``deciding`` (with ``board`` and
``conflicts``), ``paying``, ``reporting``; ``programmes`` (keeping programmes), ``queries``
(queue, budgets, public list), ``access`` (the applicant's secret link), ``notify`` (the e-mails,
``templates/grants/emails``), ``letters`` (award letter PDF), ``payouts`` (grant payments as a
payable source of payout batches), ``forms``, ``views``, ``cli`` (``backoffice grants remind``
for cron), ``demo``. The services take the ``Settings`` (or the values they need) from the views,
the command, the scheduled job and the demo; none imports flask.
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


def source_pages(sender: object, **kwargs: object) -> dict[str, tuple[str, str]]:
    """Where the documents this package books are shown (``core.signals.source_pages``)."""
    return {"grant": ("grants.application", "application_id"),
            "grant_return": ("grants.application", "application_id")}


signals.source_pages_signal.connect(source_pages)
