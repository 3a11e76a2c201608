"""Member groups and their organisers."""
from ..core import signals
from . import privacy, tasks

# Plugged in through ``core.signals``: groups applying to join wait on the start page.
signals.waiting_work.connect(tasks.waiting)

# Personal data (core.privacy): what this package holds about a person, and its retention rules.
signals.personal_data.connect(privacy.holdings)
signals.retention_due.connect(privacy.retention)
