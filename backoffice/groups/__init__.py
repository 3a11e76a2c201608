"""Member groups and their organisers."""
from ..core import signals
from . import tasks

# Plugged in through ``core.signals``: groups applying to join wait on the start page.
signals.waiting_work.connect(tasks.waiting)
