"""The double-entry fund ledger. It knows nothing about the documents that post to it."""
from ..core import signals
from . import dashboard

# The books on the start page (``core.signals.page_panels``).
signals.page_panels.connect(dashboard.start_page_panel, sender="core.dashboard")
