"""Donation receipts: German Zuwendungsbestätigungen on the Federal Ministry of Finance's model
texts and US written acknowledgments; computed (``document``), rendered once to PDF (``render``),
stored with their SHA-256 and never changed but for their cancellation (``models``), issued,
mailed, cancelled and replaced (``services``), and the year-end run (``run``).

Wiring: ``donation_reversed`` (a refund, a lost dispute, a correction) cancels the donation's
valid receipt and tells the donor (``services.donation_reversed``). ``donors_merged`` needs no
receiver: issued receipts never change, and a merged donor's receipts are found through its
``merged_into_id`` (``services.receipts_of``, ``services.current_donor``). The donation e-mail
takes ``services.simplified_proof_note``. ``donation_reduced`` (a partial refund) cancels the
valid receipt and issues its replacement for what is left (``services.donation_reduced``).
"""
from __future__ import annotations

from functools import partial
from typing import Any

from ...core.i18n import N_
from ...core.permissions import Permission
from ...core.settings import Settings
from ...core.signals import donation_reduced, donation_reversed, page_panels, waiting_work
from ...core.tasks import TaskKind
from . import services


def _cancel_receipt(donation: Any, *, session: Any, settings: Settings, actor: Any = None,
                    reason: str = "", **_: Any) -> None:
    services.donation_reversed(session, donation, actor=actor, settings=settings, reason=reason)


def _replace_receipt(donation: Any, *, session: Any, settings: Settings, actor: Any = None,
                     reason: str = "", **_: Any) -> None:
    services.donation_reduced(session, donation, actor=actor, settings=settings, reason=reason)


donation_reversed.connect(_cancel_receipt)
donation_reduced.connect(_replace_receipt)


def _due(session: Any, user: Any, today: Any, *, settings: Settings) -> int:
    """Donations of past years that need a receipt and have none (this year's wait for the
    year-end run)."""
    return services.due_count(session, settings, before=today.replace(month=1, day=1))


def _waiting(sender: Any, *, settings: Settings, **kwargs: Any) -> tuple[TaskKind, ...]:
    return (TaskKind(N_("Donations waiting for a receipt"), Permission.DONATION_RECEIPTS,
                     partial(_due, settings=settings), "receipts.year_end", position=45),)


waiting_work.connect(_waiting)


def _donation_panel(sender: Any, *, session: Any, user: Any, donation: Any, settings: Settings,
                    **_: Any) -> dict | None:
    """A donation's receipts (the valid one, those cancelled) and whether one is due."""
    if not user.can(Permission.DONATION_RECEIPTS):
        return None
    return {"receipts": services.receipts_for_donation(session, donation.id),
            "receipt_due": services.needs_receipt(donation, settings)}


def _donor_panel(sender: Any, *, session: Any, user: Any, donor: Any, settings: Settings,
                 **_: Any) -> dict | None:
    """A donor's receipts and the signed link to send them."""
    if not user.can(Permission.DONATION_RECEIPTS):
        return None
    return {"receipts": services.receipts_of(session, donor),
            "receipts_link": services.receipts_url(settings, donor)}


page_panels.connect(_donation_panel, sender="donations.donation")
page_panels.connect(_donor_panel, sender="donations.donor")
