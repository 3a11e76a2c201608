"""Donation receipts: German Zuwendungsbestätigungen on the Federal Ministry of Finance's model
texts and US written acknowledgments; computed (``document``), rendered once to PDF (``render``),
stored with their SHA-256 and never changed but for their cancellation (``models``), issued,
mailed, cancelled and replaced (``services``), and the year-end run (``run``).

Wiring: ``donation_reversed`` (a refund, a lost dispute, a correction) cancels the donation's
valid receipt and tells the donor (``services.donation_reversed``). ``donors_merged`` needs no
receiver: issued receipts never change, and a merged donor's receipts are found through its
``merged_into_id`` (``services.receipts_of``, ``services.current_donor``). The donation e-mail
takes ``services.simplified_proof_note``.
"""
from __future__ import annotations

from typing import Any

from ...core.signals import donation_reversed
from ...extensions import settings as app_settings
from . import services


def _cancel_receipt(donation: Any, *, session: Any, actor: Any = None, reason: str = "",
                    **_: Any) -> None:
    services.donation_reversed(session, donation, actor=actor, settings=app_settings(),
                               reason=reason)


donation_reversed.connect(_cancel_receipt)
