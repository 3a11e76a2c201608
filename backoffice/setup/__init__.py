"""The association configures itself in the browser: the settings area for admins (its legal
details, bank accounts, documents and links, fees and thresholds, stored over the configuration
by ``core.stored_settings``), the setup wizard of a first run, and the start page's note of what
is still missing before documents can be issued (``core.settings.setup_problems``)."""
from __future__ import annotations

from ..core import signals
from . import services

signals.page_panels.connect(services.start_page_panel, sender="core.dashboard")
