"""Users, roles, login with throttling, password reset."""

from ..core import signals
from . import privacy

# Personal data (core.privacy): what this package holds about a person, and its retention rules.
signals.personal_data.connect(privacy.holdings)
signals.retention_due.connect(privacy.retention)
