"""Payables waiting for a payout batch, on the start page (``core.signals.waiting_work``)."""
from typing import Any

from sqlalchemy.orm import Session

from ..core.i18n import N_
from ..core.permissions import Permission
from ..core.tasks import TaskKind
from . import services as payouts


def _to_pay(session: Session, user, today) -> int:
    return sum(len(found) for found in payouts.open_payables(session).values())


KINDS = (
    TaskKind(N_("Approved claims and grants to pay in a payout batch"),
             Permission.PAYOUTS_MANAGE, _to_pay, "payouts.new_batch", position=20),
)


def waiting(sender: object, **kwargs: Any) -> tuple[TaskKind, ...]:
    return KINDS
