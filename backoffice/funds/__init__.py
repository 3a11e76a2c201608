"""Fiscal sponsorship: admin-fee policies on group funds, fund statements, the organiser's view."""
from ..core import signals
from . import groups

# Plugged in through ``core.signals``: a group admitted gets its fee policy; the group's page
# shows the fee and the fund's recent movements.
signals.group_admitted.connect(groups.admitted)
signals.page_panels.connect(groups.group_panel, sender="groups.detail")
