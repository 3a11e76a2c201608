"""Donation work on the start page (``core.signals.waiting_work``)."""
from __future__ import annotations

from typing import Any

from ..core.i18n import N_
from ..core.permissions import Permission
from ..core.tasks import TaskKind
from .bank import looks_like_donations
from .queries import unresolved_failures
from .refunds import waiting as refunds_waiting

KINDS = (
    TaskKind(N_("Bank lines that look like donations"), Permission.BANK_RECONCILE,
             looks_like_donations, "banking.index", position=33),
    TaskKind(N_("Failed recurring donations"), Permission.DONATIONS_VIEW, unresolved_failures,
             "donations.index", position=34),
    TaskKind(N_("Stripe refunds for the treasurer"), Permission.DONATIONS_MANAGE,
             refunds_waiting, "donations.refund_list", position=35),
)


def waiting(sender: object, **kwargs: Any) -> tuple[TaskKind, ...]:
    return KINDS
