"""Board records: bodies and terms of office, declared interests, meetings with agenda, attendance
and minutes, resolutions with every vote and their tally, circular resolutions, the document
register; tied to the money they decide.

Modules: ``rules`` (the statutes' decision rules as pure functions), ``models``, ``services``
(meetings, votes, minutes, circular votes), ``queries`` (register, people in office, dashboard),
``money`` (the resolutions grants, write-offs and payout batches ask for through
``core.signals``), ``minutes`` (Markdown and the PDF), ``notify`` (invitations, vote copies),
``tasks`` (waiting work), ``forms``, ``views``.
"""
from ..core import signals
from . import documents, money, tasks

# Plugged in through ``core.signals``: votes due and minutes to approve wait on the start page;
# grants above the threshold, invoice write-offs and payout batches above the limit go through
# only under a passed resolution naming them.
signals.waiting_work.connect(tasks.waiting)
signals.resolution_required.connect(money.required)
# Donation receipts print the register's latest tax-exemption notice (over the configured one).
signals.exemption_notices.connect(documents.exemption_notice)
