"""Expense claims on the start page (``core.signals.waiting_work``)."""
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.i18n import N_
from ..core.permissions import Permission
from ..core.tasks import TaskKind
from .models import ClaimStatus, ExpenseClaim


def _to_approve(session: Session, user, today) -> int:
    """Submitted claims; one's own do not count (nobody approves their own claim)."""
    return session.scalar(select(func.count()).select_from(ExpenseClaim).where(
        ExpenseClaim.status == ClaimStatus.SUBMITTED, ExpenseClaim.claimant_id != user.id))


KINDS = (
    TaskKind(N_("Expense claims waiting for approval"), Permission.EXPENSES_APPROVE,
             _to_approve, "expenses.claims", {"status": ClaimStatus.SUBMITTED.value}, position=10),
)


def waiting(sender: object, **kwargs: Any) -> tuple[TaskKind, ...]:
    return KINDS
